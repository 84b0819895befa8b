{#- A file lists each tile once: more summed lines for a commune and day than the commune has tiles
    in the grid means a tile is repeated. Checked on the aggregates, so the raw scan pays nothing;
    only a suspect commune-day is searched line by line to name the tile and the file. -#}

{{ config(store_failures=true) }}

with commune_days as (

    select city, commune_code, service, traffic_date, n_tiles
    from {{ ref('int_traffic__commune_day_hours') }}

),

grid as (

    select city, commune_code, count(*) as n_grid_tiles
    from {{ ref('int_tiles__communes') }}
    group by city, commune_code

),

suspect as (

    select commune_days.*, grid.n_grid_tiles
    from commune_days
    inner join grid
        on grid.city = commune_days.city
       and grid.commune_code is not distinct from commune_days.commune_code
    where commune_days.n_tiles > grid.n_grid_tiles

),

repeated as (

    {#- Only the suspect commune-days are searched line by line, to name the tile and the file. -#}
    select files.city, files.service, files.traffic_date, tile_days.source_file, tile_days.tile_id, count(*) as n_lines
    from {{ ref('int_traffic__tile_day_hours') }} as tile_days
    inner join {{ ref('int_traffic__loaded_files') }} as files using (source_file)
    semi join suspect
        on suspect.city = files.city
       and suspect.service = files.service
       and suspect.traffic_date = files.traffic_date
    group by all
    having count(*) > 1

),

final as (

    select
        repeated.*,
        'tile ' || repeated.tile_id || ' appears ' || repeated.n_lines || ' times in ' || repeated.source_file as message
    from repeated

)

select * from final
