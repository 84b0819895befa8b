{#- Which raw NetMob files a traffic model reads, decided at compile time and passed to DuckDB as a
    constant list, so whole files are pruned from the scan (a filter computed per row would read
    every file first). -#}

{% macro traffic_file_patterns() %}
  {#- The quoted glob patterns of the study's traffic files under data_root, one per service (the
      same glob as the `netmob.traffic` source's external_location). -#}
  {%- set patterns = [] -%}
  {%- for s in var('services') -%}
    {%- do patterns.append("'" ~ var('data_root') ~ "/*/" ~ s ~ "/*/*_" ~ s ~ "_*_" ~ var('direction') ~ ".txt'") -%}
  {%- endfor -%}
  {{ return(patterns) }}
{% endmacro %}


{% macro traffic_files_to_read(relation) %}
  {#- Paths of the traffic files a run reads: all files of the study's services under data_root,
      less, in an incremental run, the (city, service, day) files `relation` already holds. -#}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set files = run_query("select file from glob([" ~ traffic_file_patterns() | join(', ') ~ "]) order by file").columns[0].values() -%}
  {%- set loaded = {} -%}
  {%- if is_incremental() -%}
    {%- for row in run_query("select city, service, strftime(traffic_date, '%Y%m%d') from " ~ relation ~ " group by all").rows -%}
      {%- do loaded.update({row[0] ~ '/' ~ row[1] ~ '/' ~ row[2]: true}) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set keep = [] -%}
  {%- for f in files -%}
    {%- set parts = f.replace('\\', '/').split('/') -%}
    {%- set city, service, day = parts[-4], parts[-3], parts[-2] -%}
    {%- if (city ~ '/' ~ service ~ '/' ~ day) not in loaded -%}
      {%- do keep.append(f) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(keep) }}
{% endmacro %}


{% macro sql_string_list(values) %}
  {#- values as a SQL list of quoted string literals: ('a', 'b'). -#}
  {%- set quoted = [] -%}
  {%- for v in values -%}{%- do quoted.append("'" ~ v.replace("'", "''") ~ "'") -%}{%- endfor -%}
  {{ return('(' ~ quoted | join(', ') ~ ')') }}
{% endmacro %}


{% macro traffic_file_filter(files) %}
  {#- SQL predicate on `source_file`: true for the files listed (from traffic_files_to_read). -#}
  {%- if not execute -%}{{ return('true') }}{%- endif -%}
  {{ return('source_file in ' ~ sql_string_list(files) if files else 'false') }}
{% endmacro %}


{% macro negative_value_check(files) %}
  {#- SQL boolean: the line holds a negative value. A negative number needs a minus sign, so the
      per-value test (least of 96 values, a third of the cost of reading them) runs only on lines
      of files whose text contains a '-': the files to read are searched for one at compile time,
      a plain byte search far cheaper than 96 comparisons per line. Conservative: any '-' (e.g.
      an exponent 1e-05) only switches the exact test on for that file. `files`: the files the run
      reads (traffic_files_to_read). -#}
  {%- if not execute -%}{{ return('false') }}{%- endif -%}
  {%- if not files -%}{{ return('false') }}{%- endif -%}
  {%- set signed = run_query("select filename from read_text([" ~ sql_string_list(files)[1:-1] ~ "]) where contains(content, '-') order by filename").columns[0].values() -%}
  {%- if not signed -%}{{ return('false') }}{%- endif -%}
  {%- set values = [] -%}
  {%- for i in range(1, 97) -%}{%- do values.append('v%02d' % i) -%}{%- endfor -%}
  {#- a CASE, not AND: DuckDB evaluates a THEN branch only on the rows that reach it -#}
  {{ return('case when source_file in ' ~ sql_string_list(signed) ~ ' then least(' ~ values | join(', ') ~ ') < 0 else false end') }}
{% endmacro %}
