{#- Warns with one row per raw file and reason when traffic lines were read but set aside
    (traffic_quarantine): their count, file and reason. The lines are not summed; commune_summary
    flags the communes they touch (n_lines_set_aside). Tiles absent from a file are the test
    assert_every_grid_tile_in_every_file. The lines of a tile set aside from its grid file for its
    polygon are named as traffic_quarantine names them. -#}

{{ config(severity='warn', store_failures=true) }}

with set_aside as (

    select * from {{ ref('int_traffic__set_aside_lines') }}
    where reason <> 'tile absent from file'

),

grid_set_aside as (

    {{ grid_tiles_set_aside() }}

),

named as (

    select
        set_aside.city,
        set_aside.service,
        set_aside.traffic_date,
        set_aside.source_file,
        {{ set_aside_line_reason('set_aside.reason', 'grid_set_aside.rejection_reason') }} as reason
    from set_aside
    left join grid_set_aside
        on grid_set_aside.city = set_aside.city
       and grid_set_aside.tile_id = set_aside.tile_id

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
    from named
    group by city, service, traffic_date, source_file, reason

)

select * from final
