{#- One row per Overture place: id, primary name, main and alternate categories, confidence, point geometry. -#}

with source as (

    select * from {{ source('overture', 'places') }}

),

final as (

    select
        id as place_id,
        names."primary" as place_name,
        categories.main as main_category,
        categories.alternate as alternate_categories,
        confidence::double as confidence,
        ST_GeomFromWKB(geometry) as place_geom,
        bbox.minx::double as bbox_min_lon,
        bbox.maxx::double as bbox_max_lon,
        bbox.miny::double as bbox_min_lat,
        bbox.maxy::double as bbox_max_lat
    from source

)

select * from final
