{{ config(**traffic_incremental_config(['city', 'service', 'traffic_date'])) }}
{#- One row per city, service, day and grid tile absent from that day's file: a file holds one
    line per tile of the city's grid, so a tile with no line is traffic lost without a trace.
    Found on the aggregates first (a commune x day with fewer lines than the commune has tiles,
    or none), and only those commune-days are matched tile by tile, so a clean load costs a small
    join. The lines are listed in traffic_quarantine (reason `tile absent from file`) and flagged
    on their communes in commune_summary; var `absent_tile_lines` (`warn` or `error`) sets what
    the build does. Incremental by file (city, service, day), like the commune sums it reads: a run
    matches only the new or reloaded files, and every file again when the crosswalk changed
    (traffic_incremental_sums). A file with no short commune-day has no row and costs only the
    aggregate comparison. -#}

{%- set key = ['city', 'service', 'traffic_date'] %}

with tile_days as (

    select * from {{ ref('int_traffic__tile_day_hours') }}

),

tiles as (

    select * from {{ duckdb_computed('int_tiles__communes') }}

),

commune_days as (

    select * from {{ ref('int_traffic__commune_day_hours') }}

),

signatures as (

    {{ traffic_files_signatures(key) }}

),

files as (

    select ledger.city, ledger.service, ledger.traffic_date, ledger.source_file, signatures.files_signature
    from {{ ref('int_traffic__loaded_files') }} as ledger
    inner join signatures using ({{ key | join(', ') }})
    where {{ traffic_keys_to_build(this, key) }}

),

grid as (

    select city, commune_code, count(*) as n_grid_tiles
    from tiles
    group by city, commune_code

),

present as (

    {#- Lines of grid tiles per commune-day, summed or set aside (a tile outside the grid is not one). -#}
    select
        city,
        commune_code,
        service,
        traffic_date,
        n_tiles + n_quarantined_lines
            - {{ list_count_where('quarantined_lines', "line -> line.reason = 'tile not in the city grid'") }} as n_lines
    from commune_days

),

file_ids as (

    {#- A small integer per file for the tile-by-tile match: keyed on the file name, the match held
        the names in its hash table (twice the memory, 2.0-3.2 s against 1.7 s on full Nancy). -#}
    select
        source_file,
        (row_number() over (order by source_file))::integer as file_id
    from files

),

short as (

    select
        files.*,
        file_ids.file_id,
        grid.commune_code
    from files
    inner join file_ids using (source_file)
    inner join grid using (city)
    left join present
        on present.city = files.city
       and present.service = files.service
       and present.traffic_date = files.traffic_date
       and present.commune_code is not distinct from grid.commune_code
    where coalesce(present.n_lines, 0) < grid.n_grid_tiles

),

short_tiles as (

    {#- The grid tiles of the short commune-days' communes. (Counting each tile's lines over the
        city's files first, to match only tiles missing somewhere, was tried: a line repeated in one
        file makes up for an absence from another in that count, and counting distinct files cost
        more than this match.) -#}
    select tiles.city, tiles.tile_id, tiles.commune_code
    from (select distinct city, commune_code from short) as short_communes
    inner join tiles
        on tiles.city = short_communes.city
       and tiles.commune_code is not distinct from short_communes.commune_code

),

short_lines as (

    {#- The lines of those tiles only (tile ids repeat across cities; the match below is on the
        file, so a few extra lines only widen the filter). -#}
    select
        file_ids.file_id,
        tile_days.tile_id
    from tile_days
    inner join file_ids using (source_file)
    semi join short_tiles using (tile_id)
    semi join short using (file_id)

),

final as (

    select
        short.city,
        short.service,
        short.traffic_date,
        short_tiles.tile_id,
        short_tiles.commune_code,
        short.source_file,
        'tile absent from file' as reason,
        short.files_signature,
        {{ traffic_grid_signature() }} as grid_signature
    from short
    inner join short_tiles
        on short_tiles.city = short.city
       and short_tiles.commune_code is not distinct from short.commune_code
    anti join short_lines
        on short_lines.file_id = short.file_id
       and short_lines.tile_id = short_tiles.tile_id

)

select * from final
