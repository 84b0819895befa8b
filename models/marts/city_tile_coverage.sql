{#- One row per urban area and service: how much of the city's grid and traffic falls in the
    communes of the sample (commune_scope `study`: the study's communes of that city) and how much
    outside, over the loaded days (the lines set aside excluded). Counts and volumes per city only:
    no tile id or coordinate. -#}

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
        '{{ commune_scope() }}' as commune_scope
    from volumes
    inner join tile_counts using (city)

)

select * from final
