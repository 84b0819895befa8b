{#- Warns with one row per raw file and reason when traffic lines were read but set aside
    (traffic_quarantine): their count, file and reason. The lines are not summed; commune_summary
    flags the communes they touch (n_lines_set_aside). Tiles absent from a file are the test
    assert_every_grid_tile_in_every_file. -#}

{{ config(severity='warn', store_failures=true) }}

with set_aside as (

    select * from {{ ref('int_traffic__set_aside_lines') }}
    where reason <> 'tile absent from file'

),

final as (

    select
        city,
        service,
        traffic_date,
        source_file,
        reason,
        count(*) as n_lines,
        count(*) || ' line(s) set aside in ' || source_file || ': ' || reason as message
    from set_aside
    group by city, service, traffic_date, source_file, reason

)

select * from final
