{#- One row per row of the Overture parquet files (every part file the layout's first matching
    pattern finds): the file and row, id, primary name, main and alternate categories, confidence,
    point geometry, and the reason the place is quarantined (null when kept). -#}

{%- set path = source_path('overture', 'places', every_match=true) %}

with source as (

    select * from read_parquet({{ sql_quote(path) }}, union_by_name = true, filename = true, file_row_number = true)

),

typed as (

    select
        filename as source_file,
        file_row_number,
        id as place_id,
        names."primary" as place_name,
        categories.main as main_category,
        categories.alternate as alternate_categories,
        try_cast(confidence as double) as confidence,
        try(ST_GeomFromWKB(geometry)) as place_geom,
        bbox.minx::double as bbox_min_lon,
        bbox.maxx::double as bbox_max_lon,
        bbox.miny::double as bbox_min_lat,
        bbox.maxy::double as bbox_max_lat,
        count(*) over (partition by id) as n_rows_with_id
    from source

),

checked as (

    select
        * exclude (n_rows_with_id),
        {{ reasons([
            ("place_id is null", 'missing id'),
            ("n_rows_with_id > 1", 'duplicate id'),
            ("place_geom is null", 'missing or unreadable geometry'),
            ("place_geom is not null and ST_GeometryType(place_geom) <> 'POINT'", 'geometry not a point'),
            ("main_category is null", 'missing category'),
            ("confidence < 0 or confidence > 1", 'confidence outside 0-1'),
        ]) }} as rejection_reason
    from typed

),

final as (

    select *, rejection_reason is null as is_kept
    from checked

)

select * from final
