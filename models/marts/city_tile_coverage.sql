{#- One row per urban area and service: how much of the city's grid and traffic falls in the
    communes of the sample (commune_scope `study`: the study's communes of that city) and how much
    outside, over the loaded days (the lines set aside excluded), and what the grid's polygon checks
    did (macros/geometry_checks.sql): tiles set aside from the grid and their traffic, repaired
    tiles, and tiles outside every commune because a commune polygon was set aside. Counts and
    volumes per city only: no tile id or coordinate. -#}

with tiles as (

    select * from {{ ref('int_tiles__communes') }}

),

files as (

    select * from {{ ref('int_traffic__loaded_files') }}

),

tile_days as (

    select files.city, files.service, files.traffic_date, tile_days.tile_id, tile_days.daily_dl
    from {{ ref('int_traffic__tile_day_hours') }} as tile_days
    inner join files using (source_file)
    where tile_days.quarantine_reason is null

),

grid_checks as (

    select * from {{ ref('int_tiles__geometry_checks') }}

),

in_set_aside_communes as (

    select * from {{ ref('int_tiles__in_set_aside_communes') }}

),

tile_counts as (

    select
        city,
        count(*) as n_tiles,
        count(*) filter (where is_assigned) as n_tiles_in_communes,
        count(*) filter (where not is_assigned) as n_tiles_outside,
        count(distinct commune_code) as n_communes
    from tiles
    group by city

),

volumes as (

    select
        tile_days.city,
        tile_days.service,
        count(distinct tile_days.traffic_date) as n_days,
        {{ volume_sum('tile_days.daily_dl', where='tiles.is_assigned') }} as dl_in_communes,
        {{ volume_sum('tile_days.daily_dl', where='not tiles.is_assigned') }} as dl_outside
    from tile_days
    inner join tiles
        on tiles.city = tile_days.city
       and tiles.tile_id = tile_days.tile_id
    group by tile_days.city, tile_days.service

),

grid_check_counts as (

    select
        city,
        count(*) filter (where rejection_reason is not null) as n_tiles_set_aside,
        count(*) filter (where is_geom_repaired) as n_tiles_geom_repaired,
        count(*) filter (where is_geom_repaired and not is_assigned) as n_tiles_geom_repaired_outside
    from grid_checks
    group by city

),

set_aside_commune_counts as (

    select city, count(*) as n_tiles_in_set_aside_communes
    from in_set_aside_communes
    group by city

),

set_aside_tiles as (

    {#- Tiles of the grid file set aside and in no kept feature: their lines are set aside. -#}
    select distinct city, tile_id
    from grid_checks
    where rejection_reason is not null and tile_id is not null
    except
    select city, tile_id from tiles

),

check_volumes as (

    select
        tile_days.city,
        tile_days.service,
        {{ volume_sum('tile_days.daily_dl', where='set_aside_tiles.tile_id is not null') }} as dl_tiles_set_aside,
        {{ volume_sum('tile_days.daily_dl', where='in_set_aside_communes.tile_id is not null') }} as dl_outside_in_set_aside_communes
    from tile_days
    left join set_aside_tiles
        on set_aside_tiles.city = tile_days.city
       and set_aside_tiles.tile_id = tile_days.tile_id
    left join in_set_aside_communes
        on in_set_aside_communes.city = tile_days.city
       and in_set_aside_communes.tile_id = tile_days.tile_id
    where set_aside_tiles.tile_id is not null or in_set_aside_communes.tile_id is not null
    group by tile_days.city, tile_days.service

),

final as (

    select
        volumes.city,
        volumes.service,
        tile_counts.n_tiles,
        tile_counts.n_tiles_in_communes,
        tile_counts.n_tiles_outside,
        tile_counts.n_communes,
        volumes.n_days,
        coalesce(volumes.dl_in_communes, 0) as dl_in_communes,
        coalesce(volumes.dl_outside, 0) as dl_outside,
        coalesce(volumes.dl_outside, 0) / nullif(coalesce(volumes.dl_in_communes, 0) + coalesce(volumes.dl_outside, 0), 0)
            as share_dl_outside,
        '{{ commune_scope() }}' as commune_scope,
        coalesce(grid_check_counts.n_tiles_set_aside, 0) as n_tiles_set_aside,
        coalesce(check_volumes.dl_tiles_set_aside, 0) as dl_tiles_set_aside,
        coalesce(grid_check_counts.n_tiles_geom_repaired, 0) as n_tiles_geom_repaired,
        coalesce(grid_check_counts.n_tiles_geom_repaired_outside, 0) as n_tiles_geom_repaired_outside,
        coalesce(set_aside_commune_counts.n_tiles_in_set_aside_communes, 0) as n_tiles_in_set_aside_communes,
        coalesce(check_volumes.dl_outside_in_set_aside_communes, 0) as dl_outside_in_set_aside_communes
    from volumes
    inner join tile_counts using (city)
    left join grid_check_counts using (city)
    left join set_aside_commune_counts using (city)
    left join check_volumes using (city, service)

)

select * from final
