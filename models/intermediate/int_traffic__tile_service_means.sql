{#- One row per city, tile and service: mean daily download volume over the kept days (anomaly
    days and quarantined lines dropped, as for the communes), the input of the top-tile ranking
    (step 10). Tile ids stay in intermediate models; no mart meant for the report carries them. -#}

with kept_days as (

    select * from {{ ref('int_traffic__kept_tile_days') }}
    where quarantine_reason is null

),

daily as (

    {#- the day's total as the tile-day table computed it (its hours summed once, there) -#}
    select city, tile_id, service, traffic_date, daily_dl
    from kept_days

),

final as (

    select
        city,
        tile_id,
        service,
        count(distinct traffic_date) as n_days,
        {{ volume_sum('daily_dl') }} as total_dl,
        {{ volume_sum('daily_dl') }} / count(distinct traffic_date) as mean_daily_dl
    from daily
    group by city, tile_id, service

)

select * from final
