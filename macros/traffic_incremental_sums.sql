{#- Bookkeeping of the incremental commune sums (int_traffic__commune_day_hours,
    int_traffic__commune_quarter_hours). Each of their rows carries the signature of the files it
    was summed from (`files_signature`, per key of the load ledger) and of the tile -> commune
    crosswalk (`grid_signature`). In an incremental run a pre-hook deletes every row whose
    signatures no longer match, and the model sums the keys left without rows: a new, corrected or
    vanished file changes only its own day's rows, a new crosswalk changes them all. -#}

{% macro traffic_files_signatures(key) %}
  {#- One row per `key` (columns of the load ledger, e.g. city, service, traffic_date) with the
      signature of its loaded files: which files, loaded when (a reload changes `loaded_at`). -#}
  select {{ key | join(', ') }}, {{ hash_sum('source_file, loaded_at') }} as files_signature
  from {{ ref('int_traffic__loaded_files') }}
  group by {{ key | join(', ') }}
{% endmacro %}


{% macro traffic_grid_signature() %}
  {#- Scalar SQL: the signature of the tile -> commune crosswalk, every column of every row. -#}
  (select {{ hash_sum(whole_row('crosswalk')) }} from {{ duckdb_computed('int_tiles__communes') }} as crosswalk)
{% endmacro %}


{% macro delete_stale_traffic_rows(relation, key) %}
  {#- Pre-hook: in an incremental run, delete the rows whose files or crosswalk changed since they
      were summed, and those of files no longer in the ledger. -#}
  {%- if execute and is_incremental() -%}
    delete from {{ relation }} as summed
    where summed.grid_signature is distinct from {{ traffic_grid_signature() }}
       or not exists (
           select 1
           from ({{ traffic_files_signatures(key) }}) as current_files
           where {% for k in key %}current_files.{{ k }} = summed.{{ k }} and {% endfor -%}
               current_files.files_signature = summed.files_signature
       )
  {%- endif -%}
{% endmacro %}


{% macro traffic_keys_to_build(relation, key) %}
  {#- SQL condition on a ledger row: on an incremental run, its key has no row left in `relation`
      (after delete_stale_traffic_rows); on a full build, true. -#}
  {%- if is_incremental() -%}
    ({{ key | join(', ') }}) not in (select distinct {{ key | join(', ') }} from {{ relation }})
  {%- else -%}
    true
  {%- endif -%}
{% endmacro %}


{% macro traffic_incremental_config(key=none) %}
  {#- The config of the models kept in step with the raw files, as keyword arguments of config()
      (dispatched: Spark builds them as plain tables, below). -#}
  {{ return(adapter.dispatch('traffic_incremental_config', 'netmob_tor')(key)) }}
{% endmacro %}


{% macro duckdb__traffic_incremental_config(key) %}
  {#- Incremental, delete+insert on `key`, stopping on a schema change (rebuild with
      --full-refresh). Without `key`, one row set per file (the tile-day table and its ledger):
      keyed on source_file, vanished files deleted first. With `key` (columns of the load ledger),
      the rows built from the ledger: stale rows deleted first (delete_stale_traffic_rows). -#}
  {%- if key is none -%}
    {%- set unique_key, hook = 'source_file', '{{ delete_vanished_traffic_files(this) }}' -%}
  {%- else -%}
    {%- set unique_key, hook = key, '{{ delete_stale_traffic_rows(this, ' ~ (key | tojson) ~ ') }}' -%}
  {%- endif -%}
  {%- set config = {'materialized': 'incremental', 'incremental_strategy': 'delete+insert', 'unique_key': unique_key,
                    'on_schema_change': 'fail', 'pre_hook': hook} -%}
  {#- The tile-day table and its ledger are the landing: their own file (landing_database), written in
      place under the build lock, never copied by `netmob-tor build`. -#}
  {%- if key is none -%}{%- do config.update({'database': landing_database()}) -%}{%- endif -%}
  {{ return(config) }}
{% endmacro %}


{% macro spark__traffic_incremental_config(key) %}
  {#- A plain table, rebuilt whole on every run: delete+insert needs a table format with row
      deletes (Delta, Iceberg), which a local Spark without extra jars does not have. With no
      incremental run, every file is read, and the pre-hooks and signatures have nothing to do. -#}
  {{ return({'materialized': 'table'}) }}
{% endmacro %}
