{#- One row per raw traffic line set aside: its file, tile and why. Nothing is dropped silently:
    these lines are excluded from the sums and listed here (a warning test reports them). -#}

with commune_days as (

    select * from {{ ref('int_traffic__commune_day_hours') }}
    where n_quarantined_lines > 0

),

lines as (

    select city, service, traffic_date, unnest(quarantined_lines) as line
    from commune_days

),

final as (

    select
        city,
        service,
        traffic_date,
        line.tile_id as tile_id,
        line.source_file as source_file,
        line.reason as reason
    from lines

)

select * from final
