{#- One row per city, commune (null = tiles outside every commune), service and kept day: hourly
    download volumes summed over the commune's tiles, still wide (h00..h23). Anomaly days listed in
    the `anomaly_days` seed are dropped here, before the join, so they are never aggregated. -#}

with tile_hours as (

    select * from {{ ref('int_traffic__tile_day_hours') }}

),

tiles as (

    select * from {{ ref('int_tiles__communes') }}

),

anomaly_days as (

    select * from {{ ref('anomaly_days') }}

),

kept_days as (

    select tile_hours.*
    from tile_hours
    where not exists (
        select 1
        from anomaly_days
        where anomaly_days.anomaly_date = tile_hours.traffic_date
          and anomaly_days.city in ('*', tile_hours.city)
    )

),

final as (

    select
        kept_days.city,
        tiles.commune_code,
        kept_days.service,
        kept_days.traffic_date,
        any_value(kept_days.local_day_hours) as local_day_hours,
        count(*) as n_tiles,
        {% for h in range(24) -%}
        sum(kept_days.h{{ '%02d' % h }}) as h{{ '%02d' % h }}{{ ',' if not loop.last }}
        {% endfor %}
    from kept_days
    left join tiles
        on tiles.city = kept_days.city
       and tiles.tile_id = kept_days.tile_id
    group by all

)

select * from final
