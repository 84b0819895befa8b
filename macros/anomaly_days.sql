{% macro anomaly_days() %}
  {#- The anomaly days, as SQL rows (city, anomaly_date, reason): the `anomaly_days` seed (unless
      var `use_anomaly_days_seed` is false) and the entries of var `extra_anomaly_days`
      ({city, date, reason}; city `*` = every city). The one definition that the traffic models and
      tests read. -#}
  {%- set extra = var('extra_anomaly_days', []) or [] -%}
  select city, anomaly_date::date as anomaly_date, reason
  from {{ ref('anomaly_days') }}
  {%- if not var('use_anomaly_days_seed', true) %}
  where false
  {%- endif %}
  {%- for day in extra %}
  union all
  select {{ sql_quote(day.city | default("*")) }}, {{ sql_quote(day.date) }}::date, {{ sql_quote(day.reason | default("var extra_anomaly_days")) }}
  {%- endfor %}
{% endmacro %}
