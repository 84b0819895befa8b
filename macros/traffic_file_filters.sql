{#- Which raw NetMob files a traffic model reads, decided at compile time and passed to DuckDB as a
    constant list, so whole files are pruned from the scan (a filter computed per row would read
    every file first). -#}

{% macro traffic_file_patterns() %}
  {#- The quoted glob patterns of the study's traffic files under data_root, one per service: the
      layout of source netmob.traffic (its YAML's meta.paths). -#}
  {{ return(source_globs('netmob', 'traffic')) }}
{% endmacro %}


{% macro traffic_file_stamps() %}
  {#- Every traffic file of the study's services under data_root, as {path, size, modified_ms,
      signature}, from the file system's metadata (read_blob without its content column reads no
      text). `signature` holds what, besides the bytes, shapes the file's loaded rows: whether its
      date is in the study period, whether it is a zero-Web_Adult day (its quarter-hours are
      landed), the DST gap hour and the time zone. An empty (0-byte) file stops the build. -#}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set listing = "select filename, size, epoch_ms(last_modified) from read_blob(["
      ~ traffic_file_patterns() | join(', ') ~ "]) order by filename" -%}
  {%- set rows = run_query(listing).rows -%}
  {%- set empty = [] -%}
  {%- set stamps = [] -%}
  {%- for row in rows -%}
    {%- set path = row[0] -%}
    {%- if row[1] == 0 -%}{%- do empty.append(path) -%}{%- endif -%}
    {%- set stamp = path.replace('\\', '/').split('/')[-2] -%}
    {%- set day = stamp[:4] ~ '-' ~ stamp[4:6] ~ '-' ~ stamp[6:] -%}
    {%- set in_period = (var('study_start') | string) <= day <= (var('study_end') | string) -%}
    {%- set is_quarter_day = day in (var('zero_web_adult_days') | map('string') | list) -%}
    {%- set signature = 'in_period=' ~ in_period ~ ';quarter_hours=' ~ is_quarter_day
        ~ ';dst_gap_hour=' ~ var('dst_gap_hour') ~ ';timezone=' ~ var('timezone') -%}
    {%- do stamps.append({'path': path, 'size': row[1] | int, 'modified_ms': row[2] | int, 'signature': signature}) -%}
  {%- endfor -%}
  {%- if empty -%}
    {{ exceptions.raise_compiler_error("empty traffic file (0 bytes), " ~ empty | length ~ " in all: "
        ~ empty[:10] | join(', ') ~ ". Replace it with the day's file or remove it.") }}
  {%- endif -%}
  {{ return(stamps) }}
{% endmacro %}


{% macro traffic_files_to_read(relation) %}
  {#- The traffic files a run reads, as traffic_file_stamps: all of them, less, in an incremental
      run, the files `relation` already holds with the same size, modification time and signature.
      A file that changed (or whose signature changed, e.g. its date left the study period) is read
      again and replaces its old rows (incremental strategy delete+insert on source_file). -#}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set loaded = {} -%}
  {#- `dbt show` previews the model's rows: it reads the first three files, not the changed ones. -#}
  {%- if flags.WHICH == 'show' -%}{{ return(traffic_file_stamps()[:3]) }}{%- endif -%}
  {%- if is_incremental() -%}
    {%- set loaded_files = "select source_file, any_value(source_size), any_value(epoch_ms(source_modified)), "
        ~ "any_value(load_signature) from " ~ relation ~ " group by source_file" -%}
    {%- for row in run_query(loaded_files).rows -%}
      {%- do loaded.update({row[0]: [row[1] | int, row[2] | int, row[3]]}) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set keep = [] -%}
  {%- for f in traffic_file_stamps() -%}
    {%- if loaded.get(f.path) != [f.size, f.modified_ms, f.signature] -%}
      {%- do keep.append(f) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(keep) }}
{% endmacro %}


{% macro delete_vanished_traffic_files(relation) %}
  {#- Pre-hook of the tile-day table: in an incremental run, the rows of files that are no longer
      there (removed, renamed, another data_root or service list) are deleted. -#}
  {%- if execute and is_incremental() -%}
    {%- set paths = traffic_file_stamps() | map(attribute='path') | list -%}
    delete from {{ relation }}
    where {{ 'source_file not in (select unnest([' ~ sql_string_list(paths)[1:-1] ~ ']))' if paths else 'true' }}
  {%- endif -%}
{% endmacro %}


{% macro traffic_file_stamps_cte(files) %}
  {#- The files a run reads with their size, modification time and signature, as SQL rows. -#}
  {%- if not files -%}
  select null::varchar as source_file, null::bigint as source_size, null::timestamp as source_modified, null::varchar as load_signature where false
  {%- else -%}
  select * from (values
    {% for f in files -%}
    ('{{ f.path.replace("'", "''") }}', {{ f.size }}::bigint, epoch_ms({{ f.modified_ms }}::bigint), '{{ f.signature }}'){{ ',' if not loop.last }}
    {% endfor -%}
  ) as stamps(source_file, source_size, source_modified, load_signature)
  {%- endif -%}
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
  {{ return('source_file in ' ~ sql_string_list(files | map(attribute='path') | list) if files else 'false') }}
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
  {%- set search = "select filename from read_text([" ~ sql_string_list(files | map(attribute='path') | list)[1:-1]
      ~ "]) where contains(content, '-') order by filename" -%}
  {%- set signed = run_query(search).columns[0].values() -%}
  {%- if not signed -%}{{ return('false') }}{%- endif -%}
  {%- set values = [] -%}
  {%- for i in range(1, 97) -%}{%- do values.append('v%02d' % i) -%}{%- endfor -%}
  {#- a CASE, not AND: DuckDB evaluates a THEN branch only on the rows that reach it -#}
  {{ return('case when source_file in ' ~ sql_string_list(signed) ~ ' then least(' ~ values | join(', ') ~ ') < 0 else false end') }}
{% endmacro %}
