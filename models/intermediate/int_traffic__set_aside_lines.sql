{#- One row per raw traffic line set aside: its city, service, day, file, tile and why. Nothing is dropped silently:
    the lines read but not trusted are excluded from the sums, the grid tiles with no line in a
    file are counted as absent, and both are listed here (a warning test reports them with their
    counts and files; commune_summary flags the communes they touch). -#}

with commune_days as (

    select * from {{ ref('int_traffic__commune_day_hours') }}
    where n_quarantined_lines > 0

),

absent as (

    select * from {{ ref('int_traffic__absent_tile_lines') }}

),

lines as (

    select city, service, traffic_date, {{ unnest_list('quarantined_lines') }} as line
    from commune_days

),

read_lines as (

    select
        city,
        service,
        traffic_date,
        line.tile_id,
        line.source_file,
        line.reason
    from lines

),

final as (

    select * from read_lines
    union all
    select city, service, traffic_date, tile_id, source_file, reason from absent

)

select * from final
