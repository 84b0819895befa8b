{#- Compile-time filters on the NetMob file keys (city/service/YYYYMMDD), as constants so that
    DuckDB prunes whole files from the scan instead of reading and discarding them. -#}

{% macro traffic_file_key(city, service, traffic_date) -%}
  ({{ city }} || '/' || {{ service }} || '/' || strftime({{ traffic_date }}, '%Y%m%d'))
{%- endmacro %}


{% macro anomaly_day_filter(city, traffic_date) %}
  {#- True for the rows of days the `anomaly_days` seed drops (city `*` = every city). -#}
  {%- if execute -%}
    {%- set rows = run_query("select city, strftime(anomaly_date, '%Y-%m-%d') from " ~ ref('anomaly_days')).rows -%}
  {%- else -%}
    {%- set rows = [] -%}
  {%- endif -%}
  {%- set all_cities = [] -%}{%- set per_city = [] -%}
  {%- for row in rows -%}
    {%- if row[0] == '*' -%}{%- do all_cities.append("date '" ~ row[1] ~ "'") -%}
    {%- else -%}{%- do per_city.append("('" ~ row[0] ~ "', date '" ~ row[1] ~ "')") -%}{%- endif -%}
  {%- endfor -%}
  (false
   {%- if all_cities %} or {{ traffic_date }} in ({{ all_cities | join(', ') }}){% endif %}
   {%- if per_city %} or ({{ city }}, {{ traffic_date }}) in ({{ per_city | join(', ') }}){% endif %})
{% endmacro %}


{% macro loaded_file_filter(relation, city, service, traffic_date) %}
  {#- In an incremental run, true for rows of files (city, service, day) already in `relation`. -#}
  {%- set keys = [] -%}
  {%- if execute and is_incremental() -%}
    {%- set rows = run_query("select distinct " ~ traffic_file_key('city', 'service', 'traffic_date') ~ " from " ~ relation).rows -%}
    {%- for row in rows -%}{%- do keys.append("'" ~ row[0] ~ "'") -%}{%- endfor -%}
  {%- endif -%}
  {%- if keys -%}
  {{ traffic_file_key(city, service, traffic_date) }} in ({{ keys | join(', ') }})
  {%- else -%}
  false
  {%- endif -%}
{% endmacro %}
