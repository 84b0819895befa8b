{#- One row per city, tile and service: mean daily download volume over the kept days (anomaly
    days of the `anomaly_days` seed and quarantined lines dropped, as for the communes), the input of the top-tile ranking (step 10). Tile ids
    stay in intermediate models; no mart meant for the report carries them. -#}

with tile_hours as (

    select * from {{ ref('int_traffic__tile_day_hours') }}

),

anomaly_days as (

    select * from {{ ref('anomaly_days') }}

),

kept_days as (

    select tile_hours.*
    from tile_hours
    where tile_hours.quarantine_reason is null
      and not exists (
        select 1
        from anomaly_days
        where anomaly_days.anomaly_date = tile_hours.traffic_date
          and anomaly_days.city in ('*', tile_hours.city)
    )

),

daily as (

    select
        city,
        tile_id,
        service,
        traffic_date,
        {% for h in range(24) -%}
        coalesce(h{{ '%02d' % h }}, 0){{ ' +' if not loop.last }}
        {% endfor -%} as daily_dl
    from kept_days

),

final as (

    select
        city,
        tile_id,
        service,
        count(distinct traffic_date) as n_days,
        sum(daily_dl) as total_dl,
        sum(daily_dl) / count(distinct traffic_date) as mean_daily_dl
    from daily
    group by city, tile_id, service

)

select * from final
