{#- Which raw NetMob files a traffic model reads, decided at compile time and passed to DuckDB as a
    constant list, so whole files are pruned from the scan (a filter computed per row would read
    every file first). -#}

{% macro traffic_files_to_read(relation) %}
  {#- Files of the study's services under data_root, less the anomaly days of the `anomaly_days`
      seed and, in an incremental run, less the (city, service, day) files `relation` already holds.
      Returns a SQL predicate on `source_file`. -#}
  {%- if not execute -%}{{ return('true') }}{%- endif -%}
  {%- set patterns = [] -%}
  {%- for s in var('services') -%}
    {%- do patterns.append("'" ~ var('data_root') ~ "/*/" ~ s ~ "/*/*_" ~ s ~ "_*_" ~ var('direction') ~ ".txt'") -%}
  {%- endfor -%}
  {%- set files = run_query("select file from glob([" ~ patterns | join(', ') ~ "]) order by file").columns[0].values() -%}
  {%- set skip = {} -%}
  {%- for row in run_query("select city, strftime(anomaly_date, '%Y%m%d') from " ~ ref('anomaly_days')).rows -%}
    {%- do skip.update({row[0] ~ '/' ~ row[1]: true}) -%}
  {%- endfor -%}
  {%- set loaded = {} -%}
  {%- if is_incremental() -%}
    {%- for row in run_query("select distinct city || '/' || service || '/' || strftime(traffic_date, '%Y%m%d') from " ~ relation).rows -%}
      {%- do loaded.update({row[0]: true}) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set keep = [] -%}
  {%- for f in files -%}
    {%- set parts = f.replace('\\', '/').split('/') -%}
    {%- set city, service, day = parts[-4], parts[-3], parts[-2] -%}
    {%- if ('*/' ~ day) not in skip and (city ~ '/' ~ day) not in skip and (city ~ '/' ~ service ~ '/' ~ day) not in loaded -%}
      {%- do keep.append("'" ~ f.replace("'", "''") ~ "'") -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if keep -%}
    {{ return('source_file in (' ~ keep | join(', ') ~ ')') }}
  {%- else -%}
    {{ return('false') }}
  {%- endif -%}
{% endmacro %}
