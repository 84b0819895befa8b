{{ config(**traffic_incremental_config()) }}
{#- One row per raw traffic file in the tile-day table: the load ledger. The file's city, service
    and date (from its path), its local day length and whether its quarter-hours were landed, and
    the size, modification time, signature and content hash it was loaded with (traffic_file_stamps,
    base_netmob__traffic_files). Built
    right after int_traffic__tile_day_hours, from the same compile-time list of files to read:
    files already in the ledger with the same stamp are kept as they are, changed and new ones
    replace their row, vanished ones are deleted (pre-hook). The tile-day table reads this ledger
    at compile time to find the files that changed; since the ledger is written after it, a run
    that fails between the two reads those files again next time, never skips them. -#}

-- depends_on: {{ ref('int_traffic__tile_day_hours') }}
-- depends_on: {{ ref('base_netmob__traffic_files') }}

{%- set files = traffic_files_to_read(this) %}

with stamps as (

    {{ traffic_file_stamps_cte(files) }}

),

final as (

    select
        source_file,
        city,
        service,
        traffic_date,
        local_day_hours,
        has_quarter_hours,
        source_size,
        source_modified,
        load_signature,
        content_hash,
        current_timestamp as loaded_at
    from stamps

)

select * from final
