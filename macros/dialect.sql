{#- The SQL that DuckDB and Spark SQL spell differently, one dispatched macro per construct: the
    traffic models call these and stay one file for both targets (profiles.yml `dev` and `spark`).
    Each `duckdb__` implementation renders exactly the SQL the models held before the Spark target
    existed, so the DuckDB build compiles to the same SQL (docs/scaling-out.md); the `spark__` one
    is its Spark SQL 4 equivalent. Spark-side inputs that DuckDB computes (the spatial crosswalk and
    the non-traffic tables) are read through duckdb_computed(). -#}

{% macro list_of(items) -%}
  {#- A list (array) literal of SQL expressions `items`. -#}
  {{ return(adapter.dispatch('list_of', 'netmob_tor')(items)) }}
{%- endmacro %}
{% macro duckdb__list_of(items) -%}
  {{ return('[' ~ items | join(', ') ~ ']') }}
{%- endmacro %}
{% macro spark__list_of(items) -%}
  {{ return('array(' ~ items | join(', ') ~ ')') }}
{%- endmacro %}


{% macro list_item(list_expr, position) -%}
  {#- Element `position` (1-based) of a list. -#}
  {{ return(adapter.dispatch('list_item', 'netmob_tor')(list_expr, position)) }}
{%- endmacro %}
{% macro duckdb__list_item(list_expr, position) -%}
  {{ return(list_expr ~ '[' ~ position ~ ']') }}
{%- endmacro %}
{% macro spark__list_item(list_expr, position) -%}
  {{ return('element_at(' ~ list_expr ~ ', ' ~ position ~ ')') }}
{%- endmacro %}


{% macro struct_list_agg(fields, where) -%}
  {#- Aggregate: the list of structs {name: expression} (`fields`, a dict) of the rows where `where`
      holds. Over no such row DuckDB gives null, Spark an empty list. -#}
  {{ return(adapter.dispatch('struct_list_agg', 'netmob_tor')(fields, where)) }}
{%- endmacro %}
{% macro duckdb__struct_list_agg(fields, where) -%}
  {%- set parts = [] -%}
  {%- for name, expression in fields.items() -%}{%- do parts.append("'" ~ name ~ "': " ~ expression) -%}{%- endfor -%}
  {{ return('list({' ~ parts | join(', ') ~ '}) filter (where ' ~ where ~ ')') }}
{%- endmacro %}
{% macro spark__struct_list_agg(fields, where) -%}
  {%- set parts = [] -%}
  {%- for name, expression in fields.items() -%}{%- do parts.append("'" ~ name ~ "', " ~ expression) -%}{%- endfor -%}
  {{ return('collect_list(named_struct(' ~ parts | join(', ') ~ ')) filter (where ' ~ where ~ ')') }}
{%- endmacro %}


{% macro unnest_list(list_expr) -%}
  {#- One row per element of a list (in a select list). -#}
  {{ return(adapter.dispatch('unnest_list', 'netmob_tor')(list_expr)) }}
{%- endmacro %}
{% macro duckdb__unnest_list(list_expr) -%}
  {{ return('unnest(' ~ list_expr ~ ')') }}
{%- endmacro %}
{% macro spark__unnest_list(list_expr) -%}
  {{ return('explode(' ~ list_expr ~ ')') }}
{%- endmacro %}


{% macro list_count_where(list_expr, lambda_expr) -%}
  {#- How many elements of a list satisfy a lambda (`x -> ...`, the same syntax in both); a null
      list (a list aggregate over no row) counts 0, not null. -#}
  {{ return(adapter.dispatch('list_count_where', 'netmob_tor')(list_expr, lambda_expr)) }}
{%- endmacro %}
{% macro duckdb__list_count_where(list_expr, lambda_expr) -%}
  {{ return('coalesce(len(list_filter(' ~ list_expr ~ ', ' ~ lambda_expr ~ ')), 0)') }}
{%- endmacro %}
{% macro spark__list_count_where(list_expr, lambda_expr) -%}
  {#- not coalesce(size(...)): with spark.sql.legacy.sizeOfNull, size(null) is -1 -#}
  {{ return('case when ' ~ list_expr ~ ' is null then 0 else size(filter(' ~ list_expr ~ ', ' ~ lambda_expr ~ ')) end') }}
{%- endmacro %}


{% macro distinct_string_agg(expression, separator) -%}
  {#- Aggregate: the distinct values of `expression`, sorted, joined by `separator` (a SQL string). -#}
  {{ return(adapter.dispatch('distinct_string_agg', 'netmob_tor')(expression, separator)) }}
{%- endmacro %}
{% macro duckdb__distinct_string_agg(expression, separator) -%}
  {{ return('string_agg(distinct ' ~ expression ~ ', ' ~ separator ~ ' order by ' ~ expression ~ ')') }}
{%- endmacro %}
{% macro spark__distinct_string_agg(expression, separator) -%}
  {{ return('array_join(array_sort(collect_set(' ~ expression ~ ')), ' ~ separator ~ ')') }}
{%- endmacro %}


{% macro star_exclude(columns, qualifier=none) -%}
  {#- Every column of the relation (or of `qualifier`) but `columns`. -#}
  {{ return(adapter.dispatch('star_exclude', 'netmob_tor')(columns, qualifier)) }}
{%- endmacro %}
{% macro duckdb__star_exclude(columns, qualifier) -%}
  {{ return((qualifier ~ '.' if qualifier else '') ~ '* exclude (' ~ columns | join(', ') ~ ')') }}
{%- endmacro %}
{% macro spark__star_exclude(columns, qualifier) -%}
  {{ return((qualifier ~ '.' if qualifier else '') ~ '* except (' ~ columns | join(', ') ~ ')') }}
{%- endmacro %}


{% macro union_all_by_name() -%}
  {#- UNION ALL matching columns by name. Spark SQL has no BY NAME: there the two sides must list the
      same columns in the same order (the models that use it say so). -#}
  {{ return(adapter.dispatch('union_all_by_name', 'netmob_tor')()) }}
{%- endmacro %}
{% macro duckdb__union_all_by_name() -%}
  {{ return('union all by name') }}
{%- endmacro %}
{% macro spark__union_all_by_name() -%}
  {{ return('union all') }}
{%- endmacro %}


{% macro unpivot_columns(relation, columns, name_column, value_column) -%}
  {#- The rows of `relation` with `columns` turned into (name_column, value_column) pairs, null
      values left out (both engines' default). -#}
  {{ return(adapter.dispatch('unpivot_columns', 'netmob_tor')(relation, columns, name_column, value_column)) }}
{%- endmacro %}
{% macro duckdb__unpivot_columns(relation, columns, name_column, value_column) -%}
  {%- set lines = ['unpivot ' ~ relation, '    on ' ~ columns | join(', ') ~ '  -- noqa: LT05',
                    '    into name ' ~ name_column ~ ' value ' ~ value_column] -%}
  {{ return(lines | join('\n')) }}
{%- endmacro %}
{% macro spark__unpivot_columns(relation, columns, name_column, value_column) -%}
  {{ return('select * from ' ~ relation ~ '\n    unpivot (' ~ value_column ~ ' for ' ~ name_column ~ ' in (' ~ columns | join(', ') ~ '))') }}
{%- endmacro %}


{% macro int_div(dividend, divisor) -%}
  {#- Integer division (truncating). -#}
  {{ return(adapter.dispatch('int_div', 'netmob_tor')(dividend, divisor)) }}
{%- endmacro %}
{% macro duckdb__int_div(dividend, divisor) -%}
  {{ return(dividend ~ ' // ' ~ divisor) }}
{%- endmacro %}
{% macro spark__int_div(dividend, divisor) -%}
  {#- Spark's div gives BIGINT; DuckDB's // keeps the operands' INTEGER. -#}
  {{ return('cast(' ~ dividend ~ ' div ' ~ divisor ~ ' as int)') }}
{%- endmacro %}


{% macro hours_interval(hours) -%}
  {#- An interval of `hours` hours, to add to or subtract from a timestamp. -#}
  {{ return(adapter.dispatch('hours_interval', 'netmob_tor')(hours)) }}
{%- endmacro %}
{% macro duckdb__hours_interval(hours) -%}
  {{ return('to_hours(' ~ hours ~ ')') }}
{%- endmacro %}
{% macro spark__hours_interval(hours) -%}
  {{ return('make_dt_interval(0, ' ~ hours ~ ')') }}
{%- endmacro %}


{% macro local_timestamp(day, hours) -%}
  {#- The local wall-clock timestamp (no time zone) `hours` hours after midnight of date `day`. -#}
  {{ return(adapter.dispatch('local_timestamp', 'netmob_tor')(day, hours)) }}
{%- endmacro %}
{% macro duckdb__local_timestamp(day, hours) -%}
  {{ return(day ~ ' + to_hours(' ~ hours ~ ')') }}
{%- endmacro %}
{% macro spark__local_timestamp(day, hours) -%}
  {{ return('cast(' ~ day ~ ' as timestamp_ntz) + make_dt_interval(0, ' ~ hours ~ ')') }}
{%- endmacro %}


{% macro local_to_utc(local_ts, timezone) -%}
  {#- A wall-clock timestamp of `timezone` (e.g. Europe/Paris) as the UTC wall-clock timestamp. -#}
  {{ return(adapter.dispatch('local_to_utc', 'netmob_tor')(local_ts, timezone)) }}
{%- endmacro %}
{% macro duckdb__local_to_utc(local_ts, timezone) -%}
  {{ return("timezone('UTC', timezone('" ~ timezone ~ "', " ~ local_ts ~ "))") }}
{%- endmacro %}
{% macro spark__local_to_utc(local_ts, timezone) -%}
  {{ return("convert_timezone('" ~ timezone ~ "', 'UTC', " ~ local_ts ~ ")") }}
{%- endmacro %}


{% macro iso_day_of_week(day) -%}
  {#- ISO day of the week of a date, 1 = Monday ... 7 = Sunday. -#}
  {{ return(adapter.dispatch('iso_day_of_week', 'netmob_tor')(day)) }}
{%- endmacro %}
{% macro duckdb__iso_day_of_week(day) -%}
  {{ return('isodow(' ~ day ~ ')') }}
{%- endmacro %}
{% macro spark__iso_day_of_week(day) -%}
  {{ return('cast(extract(dayofweek_iso from ' ~ day ~ ') as bigint)') }}
{%- endmacro %}


{% macro ordered_corr(x, y, order_by) -%}
  {#- Pearson correlation of x and y. DuckDB takes the rows in `order_by` order, so a parallel
      aggregate adds the same partial sums in the same order and two builds are bit-identical;
      Spark SQL has no ordered aggregates: its corr merges partitions in task order, equal to
      DuckDB's to ~1e-15 (tests/test_spark_target.py), not necessarily to the last bit. -#}
  {{ return(adapter.dispatch('ordered_corr', 'netmob_tor')(x, y, order_by)) }}
{%- endmacro %}
{% macro duckdb__ordered_corr(x, y, order_by) -%}
  {{ return('corr(' ~ x ~ ', ' ~ y ~ ' order by ' ~ order_by ~ ')') }}
{%- endmacro %}
{% macro spark__ordered_corr(x, y, order_by) -%}
  {{ return('corr(' ~ x ~ ', ' ~ y ~ ')') }}
{%- endmacro %}


{% macro raise_error(message) -%}
  {#- Stop the query with `message` (a SQL string expression). -#}
  {{ return(adapter.dispatch('raise_error', 'netmob_tor')(message)) }}
{%- endmacro %}
{% macro duckdb__raise_error(message) -%}
  {{ return('error(' ~ message ~ ')') }}
{%- endmacro %}
{% macro spark__raise_error(message) -%}
  {{ return('raise_error(' ~ message ~ ')') }}
{%- endmacro %}


{% macro hash_sum(expression) -%}
  {#- Aggregate: an order-independent signature of the rows, the sum of hash(expression), as an
      integer that cannot overflow (DuckDB HUGEINT; Spark: 32-bit hashes summed as BIGINT). -#}
  {{ return(adapter.dispatch('hash_sum', 'netmob_tor')(expression)) }}
{%- endmacro %}
{% macro duckdb__hash_sum(expression) -%}
  {{ return('sum(hash(' ~ expression ~ '))::hugeint') }}
{%- endmacro %}
{% macro spark__hash_sum(expression) -%}
  {{ return('sum(cast(hash(' ~ expression ~ ') as bigint))') }}
{%- endmacro %}


{% macro whole_row(alias) -%}
  {#- Every column of table alias `alias`, as the argument of hash(). -#}
  {{ return(adapter.dispatch('whole_row', 'netmob_tor')(alias)) }}
{%- endmacro %}
{% macro duckdb__whole_row(alias) -%}
  {{ return(alias) }}
{%- endmacro %}
{% macro spark__whole_row(alias) -%}
  {{ return(alias ~ '.*') }}
{%- endmacro %}


{% macro epoch_ms_timestamp(milliseconds) -%}
  {#- The timestamp `milliseconds` after the Unix epoch. -#}
  {{ return(adapter.dispatch('epoch_ms_timestamp', 'netmob_tor')(milliseconds)) }}
{%- endmacro %}
{% macro duckdb__epoch_ms_timestamp(milliseconds) -%}
  {{ return('epoch_ms(' ~ milliseconds ~ ')') }}
{%- endmacro %}
{% macro spark__epoch_ms_timestamp(milliseconds) -%}
  {{ return('timestamp_millis(' ~ milliseconds ~ ')') }}
{%- endmacro %}


{% macro duckdb_computed(model_name) -%}
  {#- A model that only DuckDB builds (spatial, or inputs outside the Spark-runnable part: selector
      `spark_traffic`) as the traffic models read it: on DuckDB, ref(model_name); on Spark, its
      Parquet export (source duckdb_exports, written by `netmob-tor export-duckdb-inputs`). -#}
  {{ return(adapter.dispatch('duckdb_computed', 'netmob_tor')(model_name)) }}
{%- endmacro %}
{% macro duckdb__duckdb_computed(model_name) -%}
  {{ return(ref(model_name)) }}
{%- endmacro %}
{% macro spark__duckdb_computed(model_name) -%}
  {#- source() records the dependency; the file is read in place, as Spark reads any Parquet path. -#}
  {%- set relation = source('duckdb_exports', model_name) -%}
  {{ return('parquet.`' ~ duckdb_export_path(model_name) ~ '`') }}
{%- endmacro %}


{% macro duckdb_export_path(model_name) -%}
  {#- Where `netmob-tor export-duckdb-inputs` writes model `model_name` for Spark: the layout of source
      duckdb_exports (its YAML's meta.path, `{name}` the table) under var duckdb_exports_dir. -#}
  {%- set layout = '{name}.parquet' -%}
  {%- if execute -%}
    {%- for node in graph.sources.values() if node.source_name == 'duckdb_exports' and node.name == model_name -%}
      {%- set layout = (node.config.get('meta', {}) or node.meta).get('path', layout) -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(var('duckdb_exports_dir') ~ '/' ~ layout.replace('{name}', model_name)) }}
{%- endmacro %}


{% macro checked_sum(items) -%}
  {#- The sum of the SQL expressions `items`, null (never an error without a name, never a wrapped value) when it
      passes the type's range: the caller then stops naming the file and the tile. -#}
  {{ return(adapter.dispatch('checked_sum', 'netmob_tor')(items)) }}
{%- endmacro %}
{% macro duckdb__checked_sum(items) -%}
  {{ return('try(' ~ items | join(' + ') ~ ')') }}
{%- endmacro %}
{% macro spark__checked_sum(items) -%}
  {#- try_add is null on overflow (Spark's + wraps around silently with ANSI mode off) -#}
  {%- set total = namespace(sql=items[0]) -%}
  {%- for item in items[1:] -%}{%- set total.sql = 'try_add(' ~ total.sql ~ ', ' ~ item ~ ')' -%}{%- endfor -%}
  {{ return(total.sql) }}
{%- endmacro %}
