{{ config(materialized='view') }}
{#- One row per city, service, kept day and tile: the tile-day table less the anomaly days of the
    `anomaly_days` seed (listed for every city, `*`, or for one). The one place that rule lives:
    the commune sums and the top-tile means both read this view. -#}

with tile_hours as (

    select * from {{ ref('int_traffic__tile_day_hours') }}

),

anomaly_days as (

    select * from {{ ref('anomaly_days') }}

),

final as (

    select tile_hours.*
    from tile_hours
    anti join anomaly_days
        on anomaly_days.anomaly_date = tile_hours.traffic_date
       and anomaly_days.city in ('*', tile_hours.city)

)

select * from final
