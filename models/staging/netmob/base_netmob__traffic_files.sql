{{ config(materialized='table') }}
{#- One row per traffic file under data_root (the layout of source netmob.traffic): its size and
    modification time, a hash of its content, and whether it holds a character that DuckDB's cast of a
    token to the value type would silently accept (traffic_suspect_characters: `12.5` -> 13, `0x1F` ->
    31), in which case its tokens are checked one by one when it is read. Rebuilt on every run before
    the landing, which compares the hash with its load ledger: a file whose content changed is read
    again even at the same size and modification time. Reading every file's bytes costs a pass over
    the text (docs/performance.md); var `traffic_change_detection: metadata` hashes only the files
    whose size or modification time changed since this table's last build (the limit: a file
    replaced by one of the same size and modification time is then not read again). -#}

{%- set value_type = traffic_value_type().parse %}
{%- set suspects = traffic_suspect_characters(value_type) %}
{%- set previous = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier)
    if execute else none %}
{%- set by_metadata = traffic_change_detection() == 'metadata' and previous is not none %}

with listed as (

    {{ traffic_files_scan(traffic_file_patterns(), suspects, previous if by_metadata else none) }}

),

final as (

    select
        source_file,
        source_size,
        source_modified,
        content_hash,
        needs_token_check,
        checked_for_type
    from listed

)

select * from final
