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
      city, service, day, local_day_hours, quarter_hours, signature}, from the file system's
      metadata (read_blob without its content column reads no text) and the path's layout
      (<city>/<service>/<yyyymmdd>/<file>). `local_day_hours` is the day's length in var
      `timezone` (23 on the spring-forward day), null outside the study period; `quarter_hours`
      says whether the file's day is one of var `zero_web_adult_days` (its quarter-hours are
      landed). `signature` holds what, besides the bytes, shapes the file's loaded rows: those two,
      the DST gap hour, the time zone and the value type. An empty (0-byte) file stops the build. -#}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set rows = run_query(traffic_file_listing(traffic_file_patterns())).rows -%}
  {%- set value_type = var('traffic_value_type', 'auto') -%}
  {%- set quarter_days = var('zero_web_adult_days') | map('string') | list -%}
  {%- set empty = [] -%}
  {%- set stamps = [] -%}
  {%- for row in rows -%}
    {%- set path = row[0] -%}
    {%- if row[1] == 0 -%}{%- do empty.append(path) -%}{%- endif -%}
    {%- set parts = path.replace('\\', '/').split('/') -%}
    {%- set stamp = parts[-2] -%}
    {%- set day = stamp[:4] ~ '-' ~ stamp[4:6] ~ '-' ~ stamp[6:] -%}
    {%- set in_period = (var('study_start') | string) <= day <= (var('study_end') | string) -%}
    {%- set is_quarter_day = day in quarter_days -%}
    {%- set signature = 'in_period=' ~ in_period ~ ';quarter_hours=' ~ is_quarter_day
        ~ ';dst_gap_hour=' ~ var('dst_gap_hour') ~ ';timezone=' ~ var('timezone')
        ~ ';value_type=' ~ value_type -%}
    {%- do stamps.append({
        'path': path, 'size': row[1] | int, 'modified_ms': row[2] | int,
        'city': parts[-4], 'service': parts[-3], 'day': day,
        'local_day_hours': local_day_hours(day) if in_period else none,
        'quarter_hours': is_quarter_day, 'signature': signature}) -%}
  {%- endfor -%}
  {%- if empty -%}
    {{ exceptions.raise_compiler_error("empty traffic file (0 bytes), " ~ empty | length ~ " in all: "
        ~ empty[:10] | join(', ') ~ ". Replace it with the day's file or remove it.") }}
  {%- endif -%}
  {{ return(stamps) }}
{% endmacro %}


{% macro traffic_file_listing(patterns) %}
  {#- SQL listing the files that match `patterns` (quoted globs): path, size in bytes and
      modification time in epoch milliseconds, ordered by path, without reading their text. -#}
  {{ return(adapter.dispatch('traffic_file_listing', 'netmob_tor')(patterns)) }}
{% endmacro %}


{% macro duckdb__traffic_file_listing(patterns) %}
  {#- read_blob without its content column reads no text. -#}
  {{ return("select filename, size, epoch_ms(last_modified) from read_blob([" ~ patterns | join(', ') ~ "]) order by filename") }}
{% endmacro %}


{% macro spark__traffic_file_listing(patterns) %}
  {#- Spark's binaryFile source reads a file's bytes only when its content column is selected; its
      path is the URI (file:/..., hdfs://...) that _metadata.file_path gives the text reader. -#}
  {%- set parts = [] -%}
  {%- for pattern in patterns -%}
    {%- do parts.append("select path, length, unix_millis(modificationTime) from binaryFile.`" ~ pattern[1:-1] ~ "`") -%}
  {%- endfor -%}
  {{ return(parts | join(' union all ') ~ ' order by 1') }}
{% endmacro %}


{% macro read_traffic_text(patterns, value_type) %}
  {#- SQL rows of the traffic files matching `patterns` (quoted globs): `filename`, `tile_id` and
      the space-separated values v01..v97 as `value_type` (BIGINT or DOUBLE), null past the line's
      last value. A line with more than 97 values, or a value that is not of `value_type`, stops
      the build with an error naming the file. -#}
  {{ return(adapter.dispatch('read_traffic_text', 'netmob_tor')(patterns, value_type)) }}
{% endmacro %}


{% macro duckdb__read_traffic_text(patterns, value_type) -%}
select *
    from read_csv(
        [{{ patterns | join(', ') }}],
        delim=' ', header=false, auto_detect=false, null_padding=true, filename=true, parallel=true,
        columns=struct_pack(
            tile_id := 'BIGINT',
            {% for i in range(1, 98) -%}
            v{{ '%02d' % i }} := '{{ value_type }}'{{ ',' if not loop.last }}
            {% endfor %}
        )
    )
{%- endmacro %}


{% macro spark__read_traffic_text(patterns, value_type) -%}
  {#- Spark's text reader, one row per line with the file's URI; fields split on single spaces as
      DuckDB's read_csv(delim=' ') does (an empty field is null). Spark's casts are lenient (ANSI
      mode is off under dbt-spark: '1.5' would become 1 as BIGINT), so the fields are checked first,
      in tile_id, which every reader uses (a check in an unused column would be pruned unevaluated).
      Short SQL on purpose: the view's text must fit the metastore (32,700 characters in Derby). -#}
  {%- set whole = value_type | upper in ('BIGINT', 'INTEGER') -%}
  {%- set pattern = '^-?[0-9]+$' if whole else '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$' -%}
  {%- set bad = "f -> f <> '' and not f rlike '" ~ pattern ~ "'" -%}
  select
      filename,
      case
          when size(fields) > 98
              then raise_error('a line of ' || filename || ' has ' || (size(fields) - 1) || ' values, more than 97')
          when exists(slice(fields, 2, 97), {{ bad }})
              then raise_error('traffic value ' || filter(slice(fields, 2, 97), {{ bad }})[0] || ' is not {{ value_type }} in '
                  || filename || ' (tile ' || fields[0] || '): set var traffic_value_type: double')
          else cast(fields[0] as bigint)
      end as tile_id,
      {% for i in range(1, 98) -%}
      cast(nullif(try_element_at(fields, {{ i + 1 }}), '') as {{ value_type }}) as v{{ '%02d' % i }}{{ ',' if not loop.last }}
      {% endfor -%}
  from (
      {% for pattern in patterns -%}
      select _metadata.file_path as filename, split(value, ' ') as fields from text.`{{ pattern[1:-1] }}`
      {{ 'union all' if not loop.last }}
      {% endfor -%}
  ) as lines
{%- endmacro %}

{% macro local_day_hours(day) %}
  {#- Hours in the local calendar day `day` ('YYYY-MM-DD') in var `timezone`: 24, 23 on the
      spring-forward day, 25 on the fall-back day (midnight to midnight, elapsed). -#}
  {%- set tz = modules.pytz.timezone(var('timezone')) -%}
  {%- set start = modules.datetime.datetime.strptime(day, '%Y-%m-%d') -%}
  {%- set elapsed = tz.localize(start + modules.datetime.timedelta(days=1)) - tz.localize(start) -%}
  {{ return((elapsed.total_seconds() // 3600) | int) }}
{% endmacro %}


{% macro traffic_load_ledger() %}
  {#- The load ledger int_traffic__loaded_files (one row per file in the tile-day table, with the
      size, modification time and signature it was loaded with), or none before its first build.
      The tile-day table reads it at compile time to know which files changed: the ledger is
      written after the tile-day table in each run, so a failed load is read again next time. -#}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {{ return(adapter.get_relation(database=this.database, schema=this.schema, identifier='int_traffic__loaded_files')) }}
{% endmacro %}


{% macro traffic_files_to_read(ledger) %}
  {#- The traffic files a run reads, as traffic_file_stamps: all of them, less, in an incremental
      run, the files the load ledger (traffic_load_ledger) holds with the same size, modification
      time and signature. A file that changed (or whose signature changed, e.g. its date left the
      study period) is read again and replaces its old rows (incremental strategy delete+insert on
      source_file). -#}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set loaded = {} -%}
  {#- `dbt show` previews the model's rows: it reads the first three files, not the changed ones. -#}
  {%- if flags.WHICH == 'show' -%}{{ return(traffic_file_stamps()[:3]) }}{%- endif -%}
  {%- if is_incremental() and ledger is not none -%}
    {%- set loaded_files = "select source_file, source_size, epoch_ms(source_modified), load_signature from " ~ ledger -%}
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
  {#- Pre-hook of the tile-day table and its ledger: in an incremental run, the rows of files that
      are no longer there (removed, renamed, another data_root or service list) are deleted. -#}
  {%- if execute and is_incremental() -%}
    {%- set paths = traffic_file_stamps() | map(attribute='path') | list -%}
    delete from {{ relation }}
    where {{ 'source_file not in (select unnest([' ~ sql_string_list(paths)[1:-1] ~ ']))' if paths else 'true' }}
  {%- endif -%}
{% endmacro %}


{% macro traffic_file_stamps_cte(files) %}
  {#- The files a run reads with what traffic_file_stamps knows of them, as SQL rows. -#}
  {%- if not files -%}
  select
      null::varchar as source_file, null::varchar as city, null::varchar as service, null::date as traffic_date,
      null::integer as local_day_hours, null::boolean as has_quarter_hours, null::bigint as source_size,
      null::timestamp as source_modified, null::varchar as load_signature
  where false
  {%- else -%}
  select * from (values
    {% for f in files -%}
    ('{{ f.path.replace("'", "''") }}', '{{ f.city }}', '{{ f.service }}', date '{{ f.day }}',
     {{ f.local_day_hours if f.local_day_hours is not none else 'null' }}::integer, {{ f.quarter_hours }},
     {{ f.size }}::bigint, {{ epoch_ms_timestamp(f.modified_ms ~ '::bigint') }}, '{{ f.signature }}'){{ ',' if not loop.last }}
    {% endfor -%}
  ) as stamps(
      source_file, city, service, traffic_date, local_day_hours, has_quarter_hours, source_size, source_modified,
      load_signature
  )
  {%- endif -%}
{% endmacro %}


{% macro traffic_file_case(files, attribute) %}
  {#- SQL expression of `source_file`: each listed file's `attribute` (from traffic_files_to_read),
      as a CASE over the files grouped by value, the most frequent value in ELSE (so the usual day
      costs no comparison list). Lets the raw read attach a file's day length without a join. -#}
  {%- set groups = {} -%}
  {%- for f in files -%}
    {%- set value = f[attribute] -%}
    {%- set key = 'null' if value is none else (value | string | lower) -%}
    {%- do groups.update({key: groups.get(key, []) + [f.path]}) -%}
  {%- endfor -%}
  {%- if not groups -%}{{ return('null') }}{%- endif -%}
  {%- set most = namespace(key=none, n=-1) -%}
  {%- for key, paths in groups | dictsort -%}
    {%- if paths | length > most.n -%}{%- set most.key = key -%}{%- set most.n = paths | length -%}{%- endif -%}
  {%- endfor -%}
  {%- set whens = [] -%}
  {%- for key, paths in groups | dictsort if key != most.key -%}
    {%- do whens.append('when source_file in ' ~ sql_string_list(paths) ~ ' then ' ~ key) -%}
  {%- endfor -%}
  {{ return(('case ' ~ whens | join(' ') ~ ' else ' ~ most.key ~ ' end') if whens else most.key) }}
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


{% macro traffic_value_type() %}
  {#- {'parse': the type read_csv converts the values to, 'land': the type of the landed hours}
      from var traffic_value_type. `auto` samples the first 2000 lines of the first file of each
      service: whole numbers are parsed as BIGINT and land as INTEGER, or as BIGINT when a day of
      96 values at the sample's largest value, times 100 (headroom for busier tiles), would pass
      2^31; any fraction
      makes both DOUBLE. A later line that breaks the choice stops the build with a message naming
      the file (and the line, for a fraction), never a silent rounding. -#}
  {%- set choice = var('traffic_value_type', 'auto') -%}
  {%- set types = {'integer': ['BIGINT', 'INTEGER'], 'bigint': ['BIGINT', 'BIGINT'], 'double': ['DOUBLE', 'DOUBLE']} -%}
  {%- if choice != 'auto' and choice not in types -%}
    {{ exceptions.raise_compiler_error("var traffic_value_type must be auto, integer, bigint or double, not '" ~ choice ~ "'") }}
  {%- endif -%}
  {%- if choice == 'auto' and execute -%}
    {%- set choice = traffic_value_type_sniffed() -%}
  {%- elif choice == 'auto' -%}
    {%- set choice = 'double' -%}
  {%- endif -%}
  {{ return({'parse': types[choice][0], 'land': types[choice][1], 'name': choice}) }}
{% endmacro %}


{% macro traffic_value_type_sniffed() %}
  {#- 'integer', 'bigint' or 'double' from the first 2000 lines of the first file of each service
      (traffic_value_type's `auto`); 'integer' when there is no file. -#}
  {%- set firsts = {} -%}
  {%- for f in traffic_file_stamps() -%}
    {%- if f.service not in firsts -%}{%- do firsts.update({f.service: f.path}) -%}{%- endif -%}
  {%- endfor -%}
  {%- if not firsts -%}{{ return('integer') }}{%- endif -%}
  {%- set paths = [] -%}
  {%- for service in firsts | sort -%}{%- do paths.append(firsts[service]) -%}{%- endfor -%}
  {%- set sniff = traffic_value_sample(paths) -%}
  {%- set row = run_query(sniff).rows[0] -%}
  {%- if not row[0] -%}{{ return('double') }}{%- endif -%}
  {{ return('integer' if row[1] * 96 * 100 < 2147483647 else 'bigint') }}
{% endmacro %}


{% macro traffic_value_sample(paths) %}
  {#- SQL of one row (whole, largest) over the first 2000 lines of each file of `paths`: whether
      every value is a whole number, and the largest value (traffic_value_type_sniffed). -#}
  {{ return(adapter.dispatch('traffic_value_sample', 'netmob_tor')(paths)) }}
{% endmacro %}


{% macro duckdb__traffic_value_sample(paths) %}
  {%- set columns = ["tile_id := 'VARCHAR'"] -%}
  {%- for i in range(1, 98) -%}{%- do columns.append("v%02d := 'VARCHAR'" % i) -%}{%- endfor -%}
  {%- set samples = [] -%}
  {%- for path in paths -%}
    {%- do samples.append("select * from (select * from read_csv('" ~ path.replace("'", "''")
        ~ "', delim=' ', header=false, auto_detect=false, null_padding=true, columns=struct_pack("
        ~ columns | join(', ') ~ ")) limit 2000)") -%}
  {%- endfor -%}
  {%- set sniff -%}
    with lines as ({{ samples | join(' union all ') }}),
    values_ as (unpivot lines on columns(* exclude (tile_id)) into name position value text)
    select
        coalesce(bool_and(regexp_full_match(text, '-?[0-9]+')), true) as whole,
        coalesce(max(try_cast(text as double)), 0) as largest
    from values_
  {%- endset -%}
  {{ return(sniff) }}
{% endmacro %}


{% macro spark__traffic_value_sample(paths) %}
  {%- set samples = [] -%}
  {%- for path in paths -%}
    {%- do samples.append("(select value from text.`" ~ path ~ "` limit 2000)") -%}
  {%- endfor -%}
  {%- set sniff -%}
    with lines as ({{ samples | join(' union all ') }}),
    values_ as (select explode(slice(split(value, ' '), 2, 97)) as text from lines)
    select
        coalesce(bool_and(text rlike '^-?[0-9]+$'), true) as whole,
        coalesce(max(cast(text as double)), 0) as largest
    from values_
    where text <> ''
  {%- endset -%}
  {{ return(sniff) }}
{% endmacro %}


{% macro volume_sum(expression, where=none) %}
  {#- Sum of traffic volumes as DOUBLE, whatever the landed type (traffic_value_type): whole
      volumes are summed exactly as integers first (DuckDB's HUGEINT), then converted, exact up to
      2^53; downstream statistics and the marts keep one numeric type. -#}
  (sum({{ expression }}){{ ' filter (where ' ~ where ~ ')' if where }})::double
{%- endmacro %}
