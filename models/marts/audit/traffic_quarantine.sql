{#- One row per raw traffic line set aside (int_traffic__set_aside_lines): read but not trusted,
    or a grid tile absent from its file; its file, tile and why. For audit: tile ids never reach a
    report. A warning test reports any row with the counts and files. -#}

with set_aside as (

    select * from {{ ref('int_traffic__set_aside_lines') }}

),

final as (

    select city, service, traffic_date, tile_id, source_file, reason
    from set_aside

)

select * from final
