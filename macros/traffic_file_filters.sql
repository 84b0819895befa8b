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
  {%- set misplaced = [] -%}
  {%- set stamps = [] -%}
  {%- for row in rows -%}
    {%- set path = row[0] -%}
    {%- if row[1] == 0 -%}{%- do empty.append(path) -%}{%- endif -%}
    {%- set parts = path.replace('\\', '/').split('/') -%}
    {%- set stamp = parts[-2] -%}
    {%- if not is_traffic_file_name(parts[-4], parts[-3], stamp, parts[-1]) -%}
      {%- do misplaced.append(path) -%}
    {%- else -%}
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
    {%- endif -%}
  {%- endfor -%}
  {%- if misplaced -%}
    {{ exceptions.raise_compiler_error("unexpected path in the traffic layout, " ~ misplaced | length ~ " in all: "
        ~ misplaced[:5] | join(', ') ~ ". Traffic files are read from <City>/<Service>/<YYYYMMDD>/<City>_<Service>_<YYYYMMDD>_"
        ~ var('direction') ~ ".txt under data_root; move anything else (a backup folder, a renamed copy) out of the data "
        ~ "folder yourself: the project never moves or deletes your files.") }}
  {%- endif -%}
  {%- if empty -%}
    {{ exceptions.raise_compiler_error("empty traffic file (0 bytes), " ~ empty | length ~ " in all: "
        ~ empty[:10] | join(', ') ~ ". Replace it with the day's file or remove it.") }}
  {%- endif -%}
  {{ return(stamps) }}
{% endmacro %}


{% macro is_traffic_file_name(city, service, stamp, name) %}
  {#- Whether a path's last parts are a traffic file of the layout: a day folder YYYYMMDD that is a real
      date, holding <city>_<service>_<YYYYMMDD>_<direction>.txt (var `direction`). -#}
  {%- if not modules.re.fullmatch('[0-9]{8}', stamp) -%}{{ return(false) }}{%- endif -%}
  {%- set year, month, day = stamp[:4] | int, stamp[4:6] | int, stamp[6:] | int -%}
  {%- if month < 1 or month > 12 or day < 1 -%}{{ return(false) }}{%- endif -%}
  {%- set first_of_next = (modules.datetime.date(year, month, 28) + modules.datetime.timedelta(days=4)).replace(day=1) -%}
  {%- if day > (first_of_next - modules.datetime.timedelta(days=1)).day -%}{{ return(false) }}{%- endif -%}
  {{ return(name == city ~ '_' ~ service ~ '_' ~ stamp ~ '_' ~ var('direction') ~ '.txt') }}
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
    {%- do parts.append("select path, length, unix_millis(modificationTime) from binaryFile.`" ~ pattern[1:-1].replace("''", "'") ~ "`") -%}
  {%- endfor -%}
  {{ return(parts | join(' union all ') ~ ' order by 1') }}
{% endmacro %}


{% macro read_traffic_text(patterns, files, value_type) %}
  {#- SQL rows of the traffic files to read (`files`, from traffic_files_to_read; `patterns`, their
      quoted globs, for readers that take globs): `filename`, `tile_id`, the space-separated values
      v01..v97 as `value_type` (BIGINT or DOUBLE), null past the line's last value, and
      `token_problem`: null, or why a value of the line is not a plain number of that type (the line
      is then set aside, never rounded or cast). A tile id that is not a plain whole number, or a
      line with more than 97 values, stops the build with an error naming the file. -#}
  {{ return(adapter.dispatch('read_traffic_text', 'netmob_tor')(patterns, files, value_type)) }}
{% endmacro %}


{% macro traffic_token_pattern(value_type) %}
  {#- The regular expression a value token must fully match: a whole number, or (DOUBLE) a decimal with
      an optional exponent; a leading minus is let through so that the line gets its own reason
      (`negative traffic value`). -#}
  {%- if value_type | upper in ('BIGINT', 'INTEGER') -%}
    {{ return('-?[0-9]+') }}
  {%- endif -%}
  {{ return('[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?') }}
{% endmacro %}


{% macro traffic_token_kind(value_type) %}
  {#- How the reason of a set-aside line names the expected token. -#}
  {{ return('plain non-negative whole number' if value_type | upper in ('BIGINT', 'INTEGER') else 'plain non-negative decimal number') }}
{% endmacro %}


{% macro traffic_suspect_characters(value_type) %}
  {#- Characters that DuckDB's cast of a token to `value_type` accepts although the token is not a
      plain number of that type (`12.5` -> 13, `1e-05` -> 0, `0x1F` -> 31, `1_000` -> 1000, `+5` -> 5,
      `0b101` -> 5, `inf`, `nan`, a tab trimmed away, a quoted `"5"`). A file holding none of them is
      read directly as `value_type`; a file holding one is read as text and checked token by token
      (tests/test_value_type.py checks the list against DuckDB's casts, character by character). -#}
  {%- set common = ['_', 'x', 'X', 'b', 'B', '"', "'", '\t', '\v', '\f'] -%}
  {%- if value_type | upper in ('BIGINT', 'INTEGER') -%}
    {{ return(common + ['.', 'e', 'E', '+']) }}
  {%- endif -%}
  {{ return(common + ['i', 'I', 'n', 'N']) }}
{% endmacro %}


{% macro duckdb__read_traffic_text(patterns, files, value_type) -%}
  {%- set direct = files | rejectattr('check_tokens') | map(attribute='path') | list -%}
  {%- set checked = files | selectattr('check_tokens') | map(attribute='path') | list -%}
  {%- set parts = [] -%}
  {%- if direct -%}
    {%- do parts.append('select *, null::varchar as token_problem from ' ~ traffic_csv(direct, value_type)) -%}
  {%- endif -%}
  {%- if checked -%}
    {%- do parts.append(traffic_checked_read(checked, value_type)) -%}
  {%- endif -%}
  {%- if not parts -%}
    {%- do parts.append('select *, null::varchar as token_problem from ' ~ traffic_csv([], value_type) ~ ' where false') -%}
  {%- endif -%}
  {{ return(parts | join('\nunion all by name\n')) }}
{%- endmacro %}


{% macro traffic_csv(paths, column_type) -%}
  {#- DuckDB's read_csv of the traffic files `paths` (an empty list reads an empty placeholder), every
      value column as `column_type`, tile_id BIGINT (VARCHAR when the values are). No quote or escape
      character: a quoted token is not a number. A 97th value column catches one value too many. -#}
  {%- set tile_type = 'VARCHAR' if column_type == 'VARCHAR' else 'BIGINT' -%}
  read_csv(
      [{{ (sql_string_list(paths)[1:-1]) if paths else "'/dev/null'" }}],
      delim=' ', quote='', escape='', header=false, auto_detect=false, null_padding=true, filename=true, parallel=true,
      columns=struct_pack(
          tile_id := '{{ tile_type }}',
          {% for i in range(1, 98) -%}
          v{{ '%02d' % i }} := '{{ column_type }}'{{ ',' if not loop.last }}
          {% endfor %}
      )
  )
{%- endmacro %}


{% macro traffic_checked_read(paths, value_type) -%}
  {#- The files holding a suspect character (traffic_suspect_characters), read as text: each token
      must fully match traffic_token_pattern (a trailing CR of a CRLF line aside) to be cast; a line
      with one that does not keeps it out of every value and carries `token_problem` naming it. -#}
  {%- set pattern = traffic_token_pattern(value_type) -%}
  {%- set columns = [] -%}{%- for i in range(1, 98) -%}{%- do columns.append("rtrim(v%02d, chr(13))" % i) -%}{%- endfor %}
  select
      filename,
      cast(case
          when regexp_full_match(rtrim(tile_id, chr(13)), '[0-9]+') then rtrim(tile_id, chr(13))
          else {{ raise_error("'tile id \"' || coalesce(tile_id, '') || '\" is not a plain whole number in ' || filename
              || ': the file is damaged; replace it with the original'") }}
      end as bigint) as tile_id,
      {% for i in range(1, 98) -%}
      case when regexp_full_match({{ columns[i - 1] }}, '{{ pattern }}') then {{ columns[i - 1] }}::{{ value_type }} end
          as v{{ '%02d' % i }},
      {% endfor -%}
      'value "' || list_filter(
          [{{ columns | join(', ') }}],  -- noqa: LT05
          token -> token is not null and not regexp_full_match(token, '{{ pattern }}')
      )[1] || '" is not a {{ traffic_token_kind(value_type) }}' as token_problem
  from {{ traffic_csv(paths, 'VARCHAR') }}
{%- endmacro %}


{% macro spark__read_traffic_text(patterns, files, value_type) -%}
  {#- Spark's text reader over the globs, one row per line with the file's URI; fields split on single
      spaces as DuckDB's read_csv(delim=' ') does (an empty field is null). Spark's casts are lenient
      (ANSI mode is off under dbt-spark: '1.5' would become 1 as BIGINT), so every token is checked
      against traffic_token_pattern first: a value that does not match is kept out and named in
      `token_problem`, as on DuckDB. -#}
  {%- set pattern = '^' ~ traffic_token_pattern(value_type) ~ '$' -%}
  {%- set bad = "f -> f <> '' and not f rlike '" ~ pattern ~ "'" -%}
  select
      filename,
      case
          when size(fields) > 98
              then raise_error('a line of ' || filename || ' has ' || (size(fields) - 1) || ' values, more than 97')
          when not fields[0] rlike '^[0-9]+$'
              then raise_error('tile id "' || fields[0] || '" is not a plain whole number in ' || filename)
          else cast(fields[0] as bigint)
      end as tile_id,
      {% for i in range(1, 98) -%}
      case when try_element_at(fields, {{ i + 1 }}) rlike '{{ pattern }}' then cast(try_element_at(fields, {{ i + 1 }}) as {{ value_type }}) end
          as v{{ '%02d' % i }},
      {% endfor -%}
      case when exists(slice(fields, 2, 97), {{ bad }})
          then 'value "' || filter(slice(fields, 2, 97), {{ bad }})[0] || '" is not a {{ traffic_token_kind(value_type) }}'
      end as token_problem
  from (
      {% for pattern in patterns -%}
      select _metadata.file_path as filename, split(value, ' ') as fields from text.`{{ pattern[1:-1].replace("''", "'") }}`
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
  {{ return(adapter.get_relation(database=landing_database() or this.database, schema=target.schema, identifier='int_traffic__loaded_files')) }}
{% endmacro %}


{% macro traffic_files_to_read(ledger) %}
  {#- The traffic files a run reads, as traffic_file_stamps with what the file scan
      (base_netmob__traffic_files, built before the landing in every run) found in each: its
      `content_hash` and whether its tokens need the exact check (`check_tokens`). All of them, less,
      in an incremental run, the files the load ledger (traffic_load_ledger) holds with the same size,
      modification time, signature and content hash. A file that changed (even at the same size and
      modification time), or whose signature changed (e.g. its date left the study period), is read
      again and replaces its old rows (incremental strategy delete+insert on source_file). -#}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set loaded = {} -%}
  {%- set stamps = traffic_file_stamps() -%}
  {%- set scan = traffic_file_scan() -%}
  {%- for f in stamps -%}
    {%- set found = scan.get(f.path, {}) -%}
    {%- do f.update({'content_hash': found.get('content_hash'), 'check_tokens': found.get('check_tokens', true)}) -%}
  {%- endfor -%}
  {#- `dbt show` previews the model's rows: it reads the first three files, not the changed ones. -#}
  {%- if flags.WHICH == 'show' -%}{{ return(stamps[:3]) }}{%- endif -%}
  {%- if is_incremental() and ledger is not none -%}
    {%- set loaded_files = "select source_file, source_size, epoch_ms(source_modified), load_signature, content_hash from " ~ ledger -%}
    {%- for row in run_query(loaded_files).rows -%}
      {%- do loaded.update({row[0]: [row[1] | int, row[2] | int, row[3], row[4]]}) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set keep = [] -%}
  {%- for f in stamps -%}
    {%- if loaded.get(f.path) != [f.size, f.modified_ms, f.signature, f.content_hash] -%}
      {%- do keep.append(f) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(keep) }}
{% endmacro %}


{% macro traffic_file_scan() %}
  {#- {path: {content_hash, check_tokens}} from the file scan base_netmob__traffic_files (its rows of
      this run), or {} where it has not been built (then every file is read, and checked token by token). -#}
  {%- set scan = ref('base_netmob__traffic_files') -%}
  {%- if adapter.get_relation(database=scan.database, schema=scan.schema, identifier=scan.identifier) is none -%}
    {{ return({}) }}
  {%- endif -%}
  {%- set found = {} -%}
  {%- for row in run_query("select source_file, content_hash, needs_token_check from " ~ scan).rows -%}
    {%- do found.update({row[0]: {'content_hash': row[1], 'check_tokens': row[2] is none or row[2]}}) -%}
  {%- endfor -%}
  {{ return(found) }}
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
      null::timestamp as source_modified, null::varchar as load_signature, cast(null as {{ dbt.type_string() }}) as content_hash
  where false
  {%- else -%}
  select * from (values
    {% for f in files -%}
    ({{ sql_quote(f.path) }}, {{ sql_quote(f.city) }}, {{ sql_quote(f.service) }}, date '{{ f.day }}',
     {{ f.local_day_hours if f.local_day_hours is not none else 'null' }}::integer, {{ f.quarter_hours }},
     {{ f.size }}::bigint, {{ epoch_ms_timestamp(f.modified_ms ~ '::bigint') }}, '{{ f.signature }}',
     cast({{ ("'" ~ f.content_hash ~ "'") if f.content_hash else 'null' }} as {{ dbt.type_string() }})){{ ',' if not loop.last }}
    {% endfor -%}
  ) as stamps(
      source_file, city, service, traffic_date, local_day_hours, has_quarter_hours, source_size, source_modified,
      load_signature, content_hash
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
  {%- for v in values -%}{%- do quoted.append(sql_quote(v)) -%}{%- endfor -%}
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
      makes both DOUBLE. Once the landing holds rows, `auto` keeps the type they were landed as (another
      data_root, or new days, never change it behind the user's back; --full-refresh samples again). A later
      line that breaks the choice stops the build with a message naming the file and tile (a day total past
      INTEGER) or is set aside naming the value (a fraction in whole numbers), never a silent rounding. -#}
  {%- set choice = var('traffic_value_type', 'auto') -%}
  {%- set types = {'integer': ['BIGINT', 'INTEGER'], 'bigint': ['BIGINT', 'BIGINT'], 'double': ['DOUBLE', 'DOUBLE']} -%}
  {%- if choice != 'auto' and choice not in types -%}
    {{ exceptions.raise_compiler_error("var traffic_value_type must be auto, integer, bigint or double, not '" ~ choice ~ "'") }}
  {%- endif -%}
  {%- if choice == 'auto' and execute -%}
    {%- set choice = traffic_value_type_landed() or traffic_value_type_sniffed() -%}
  {%- elif choice == 'auto' -%}
    {%- set choice = 'double' -%}
  {%- endif -%}
  {{ return({'parse': types[choice][0], 'land': types[choice][1], 'name': choice}) }}
{% endmacro %}


{% macro traffic_value_type_landed() %}
  {#- 'integer', 'bigint' or 'double': the type the landing's hours hold, or none (no landing yet, a
      --full-refresh, or a target without one). -#}
  {%- set database = landing_database() -%}
  {%- if database is none or flags.FULL_REFRESH -%}{{ return(none) }}{%- endif -%}
  {%- set landing = adapter.get_relation(database=database, schema=target.schema, identifier='int_traffic__tile_day_hours') -%}
  {%- if landing is none -%}{{ return(none) }}{%- endif -%}
  {%- set found = run_query("select data_type from information_schema.columns where table_catalog = " ~ sql_quote(database)
      ~ " and table_schema = " ~ sql_quote(target.schema) ~ " and table_name = 'int_traffic__tile_day_hours' and column_name = 'h00'") -%}
  {%- if found.rows | length == 0 -%}{{ return(none) }}{%- endif -%}
  {{ return({'INTEGER': 'integer', 'BIGINT': 'bigint', 'DOUBLE': 'double'}.get(found.rows[0][0])) }}
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
    {%- do samples.append("select * from (select * from read_csv(" ~ sql_quote(path)
        ~ ", delim=' ', header=false, auto_detect=false, null_padding=true, columns=struct_pack("
        ~ columns | join(', ') ~ ")) limit 2000)") -%}
  {%- endfor -%}
  {%- set sniff -%}
    with lines as ({{ samples | join(' union all ') }}),
    values_ as (unpivot lines on columns(* exclude (tile_id)) into name position value text)
    select
        -- only the tokens that read as numbers decide: a damaged token (abc) is the line's problem, not the type's
        coalesce(bool_and(regexp_full_match(text, '-?[0-9]+'))
            filter (where regexp_full_match(text, '[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?')), true) as whole,
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
        coalesce(bool_and(text rlike '^-?[0-9]+$') filter (where text rlike '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$'), true) as whole,
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


{% macro traffic_change_detection() %}
  {#- Var `traffic_change_detection`, checked: `content` (every file's bytes hashed on every run) or
      `metadata` (only files whose size or modification time changed are hashed again). -#}
  {%- set chosen = var('traffic_change_detection', 'content') -%}
  {%- if chosen not in ('content', 'metadata') -%}
    {{ exceptions.raise_compiler_error("var traffic_change_detection must be `content` or `metadata`, not `" ~ chosen ~ "`") }}
  {%- endif -%}
  {{ return(chosen) }}
{% endmacro %}


{% macro traffic_files_scan(patterns, suspects, previous) %}
  {#- SQL rows (source_file, source_size, source_modified, content_hash, needs_token_check,
      checked_for_type) of every traffic file matching `patterns`; with `previous` (the scan's last
      table, var traffic_change_detection: metadata), files of the same size, modification time and
      value type keep their previous row unread. -#}
  {{ return(adapter.dispatch('traffic_files_scan', 'netmob_tor')(patterns, suspects, previous)) }}
{% endmacro %}


{% macro duckdb__traffic_files_scan(patterns, suspects, previous) %}
  {%- set value_type = traffic_value_type().parse -%}
  {%- set checks = [] -%}
  {%- set controls = {'\t': 'chr(9)', '\v': 'chr(11)', '\f': 'chr(12)'} -%}
  {%- for c in suspects -%}
    {%- do checks.append("contains(content, " ~ (controls[c] if c in controls else sql_quote(c)) ~ ")") -%}
  {%- endfor -%}
  {%- set scanned -%}
    select
        filename as source_file,
        size as source_size,
        last_modified as source_modified,
        lpad(to_hex(hash(content)), 16, '0') as content_hash,
        ({{ checks | join(' or ') }}) as needs_token_check,
        '{{ value_type }}' as checked_for_type
    from read_text([{{ '{paths}' }}])
  {%- endset -%}
  {%- if previous is none -%}
    {{ return(scanned.replace('{paths}', patterns | join(', '))) }}
  {%- endif -%}
  {%- set listing -%}
    select listed.filename
    from read_blob([{{ patterns | join(', ') }}]) as listed
    left join {{ previous }} as known
        on known.source_file = listed.filename and known.source_size = listed.size
        and known.source_modified = listed.last_modified and known.checked_for_type = '{{ value_type }}'
    where known.source_file is null
  {%- endset -%}
  {%- set changed = run_query(listing).columns[0].values() | list if execute else [] -%}
  {%- set kept -%}
    select known.source_file, known.source_size, known.source_modified, known.content_hash, known.needs_token_check,
        known.checked_for_type
    from {{ previous }} as known
    inner join read_blob([{{ patterns | join(', ') }}]) as listed
        on known.source_file = listed.filename and known.source_size = listed.size
        and known.source_modified = listed.last_modified and known.checked_for_type = '{{ value_type }}'
  {%- endset -%}
  {%- if not changed -%}{{ return(kept) }}{%- endif -%}
  {{ return(kept ~ '\nunion all\n' ~ scanned.replace('{paths}', sql_string_list(changed)[1:-1])) }}
{% endmacro %}


{% macro spark__traffic_files_scan(patterns, suspects, previous) %}
  {#- Spark rebuilds the landing whole on every run and checks every token: the listing only. -#}
  {%- set parts = [] -%}
  {%- for pattern in patterns -%}
    {%- do parts.append("select path as source_file, length as source_size, modificationTime as source_modified, "
        ~ "cast(null as string) as content_hash, true as needs_token_check, '" ~ traffic_value_type().parse
        ~ "' as checked_for_type from binaryFile.`" ~ pattern[1:-1].replace("''", "'") ~ "`") -%}
  {%- endfor -%}
  {{ return(parts | join(' union all ')) }}
{% endmacro %}
