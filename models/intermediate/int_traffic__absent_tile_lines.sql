{#- One row per city, service, day and grid tile absent from that day's file: a file holds one
    line per tile of the city's grid, so a tile with no line is traffic lost without a trace.
    Found on the aggregates first (a commune x day with fewer lines than the commune has tiles,
    or none), and only those commune-days are matched tile by tile, so a clean load costs a small
    join. The lines are listed in traffic_quarantine (reason `tile absent from file`) and flagged
    on their communes in commune_summary; var `absent_tile_lines` (`warn` or `error`) sets what
    the build does. -#}

with tile_days as (

    select * from {{ ref('int_traffic__tile_day_hours') }}

),

tiles as (

    select * from {{ ref('int_tiles__communes') }}

),

commune_days as (

    select * from {{ ref('int_traffic__commune_day_hours') }}

),

files as (

    select distinct city, service, traffic_date, source_file
    from tile_days

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
            - len(list_filter(quarantined_lines, line -> line.reason = 'tile not in the city grid')) as n_lines
    from commune_days

),

short as (

    select files.*, grid.commune_code
    from files
    inner join grid using (city)
    left join present
        on present.city = files.city
       and present.service = files.service
       and present.traffic_date = files.traffic_date
       and present.commune_code is not distinct from grid.commune_code
    where coalesce(present.n_lines, 0) < grid.n_grid_tiles

),

short_lines as (

    {#- The lines present in the short files only (a semi join keeps the next join small). -#}
    select tile_days.city, tile_days.service, tile_days.traffic_date, tile_days.tile_id
    from tile_days
    semi join short
        on short.city = tile_days.city
       and short.service = tile_days.service
       and short.traffic_date = tile_days.traffic_date

),

final as (

    select
        short.city,
        short.service,
        short.traffic_date,
        tiles.tile_id,
        tiles.commune_code,
        short.source_file,
        'tile absent from file' as reason
    from short
    inner join tiles
        on tiles.city = short.city
       and tiles.commune_code is not distinct from short.commune_code
    anti join short_lines
        on short_lines.city = short.city
       and short_lines.service = short.service
       and short_lines.traffic_date = short.traffic_date
       and short_lines.tile_id = tiles.tile_id

)

select * from final
