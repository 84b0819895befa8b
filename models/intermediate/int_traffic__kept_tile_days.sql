{{ config(materialized='view') }}
{#- One row per city, service, kept day and tile: the tile-day table less the whole days the
    processing profile drops. Under `anomaly_rule: drop_days` those are the anomaly days of the
    `anomaly_days` seed (listed for every city, `*`, or for one); under `zero_web_adult` (the study)
    every day is kept, as the study's rule acts on commune quarter-hours, not on tiles. The tile
    means of the top-tile ranking read this view. -#}

with tile_days as (

    select * from {{ ref('int_traffic__tile_day_hours') }}

),

files as (

    select * from {{ ref('int_traffic__loaded_files') }}

),

tile_hours as (

    {#- Each line with its file's city, service and date (the ledger). -#}
    select
        files.city,
        files.service,
        files.traffic_date,
        tile_days.tile_id,
        files.local_day_hours,
        {{ star_exclude(['tile_id', 'source_file', 'quarter_hours'], 'tile_days') }},
        tile_days.source_file,
        files.loaded_at
    from tile_days
    inner join files using (source_file)

),

anomaly_days as (

    {{ anomaly_days() }}

),

final as (

    select tile_hours.*
    from tile_hours
    {%- if processing_choice('anomaly_rule') == 'drop_days' %}
    anti join anomaly_days
        on anomaly_days.anomaly_date = tile_hours.traffic_date
       and anomaly_days.city in ('*', tile_hours.city)
    {%- endif %}

)

select * from final
