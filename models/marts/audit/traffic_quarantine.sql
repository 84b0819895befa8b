{#- One row per raw traffic line set aside (int_traffic__set_aside_lines): read but not trusted,
    or a grid tile absent from its file; its file, tile and why. A line of a tile set aside from its
    grid file (its polygon null, empty or unrepairable: base_netmob__tiles) says so, rather than
    `tile not in the city grid`. For audit: tile ids never reach a report. A warning test reports
    any row with the counts and files. -#}

with set_aside as (

    select * from {{ ref('int_traffic__set_aside_lines') }}

),

grid_set_aside as (

    {{ grid_tiles_set_aside() }}

),

final as (

    select
        set_aside.city,
        set_aside.service,
        set_aside.traffic_date,
        set_aside.tile_id,
        set_aside.source_file,
        {{ set_aside_line_reason('set_aside.reason', 'grid_set_aside.rejection_reason') }} as reason
    from set_aside
    left join grid_set_aside
        on grid_set_aside.city = set_aside.city
       and grid_set_aside.tile_id = set_aside.tile_id

)

select * from final
