{{ config(materialized="table") }}
{#- One row per city and tile: the tile polygon (WGS84) and its centroid. -#}

with source as (

    select *
    from read_json(
        [{{ source_globs('netmob', 'tiles') | join(', ') }}],
        filename=true, format='auto', maximum_object_size=268435456,
        columns=struct_pack(features := 'STRUCT(properties STRUCT(tile_id BIGINT), geometry JSON)[]')
    )

),

features as (

    select
        regexp_extract(replace(filename, '\', '/'), '([^/]+)\.geojson$', 1) as city,
        unnest(features) as feature
    from source

),

typed as (

    select
        city,
        feature.properties.tile_id::bigint as tile_id,
        ST_GeomFromGeoJSON(feature.geometry) as tile_geom
    from features

),

final as (

    select *, ST_Centroid(tile_geom) as centroid_geom
    from typed

)

select * from final
