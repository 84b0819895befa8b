{{ config(materialized="table") }}
{#- One row per feature of each city's grid file (a file with no feature, an empty FeatureCollection,
    is one row with feature_number 0 and no tile): the tile id, its polygon (WGS84) when usable, and
    the reason it is set aside (null when it is kept). The polygon rule is macros/geometry_checks.sql:
    an invalid polygon (a bow-tie) is repaired with ST_MakeValid and flagged, a null, empty,
    unreadable or unrepairable one is set aside. The grid is parsed once, here (a table). -#}

with source as (

    select *
    from read_json(
        [{{ source_globs('netmob', 'tiles') | join(', ') }}],
        filename=true, format='auto', maximum_object_size=268435456,
        columns=struct_pack(features := 'STRUCT(properties STRUCT(tile_id BIGINT), geometry JSON)[]')
    )

),

files as (

    select
        regexp_extract(replace(filename, '\', '/'), '([^/]+)\.geojson$', 1) as city,
        regexp_extract(replace(filename, '\', '/'), '([^/]+/[^/]+)$', 1) as grid_file,
        features
    from source

),

features as (

    select
        city,
        grid_file,
        unnest(features) as feature,
        generate_subscripts(features, 1) as feature_number
    from files
    where len(features) > 0

),

empty_files as (

    select city, grid_file, null as feature, 0 as feature_number
    from files
    where coalesce(len(features), 0) = 0

),

parsed as (

    select
        city,
        grid_file,
        feature_number,
        feature.properties.tile_id::bigint as tile_id,
        feature.geometry is not null as has_geometry,
        {#- try(): a geometry that is not GeoJSON (an unknown type) is set aside, not a stopped build. -#}
        try(ST_GeomFromGeoJSON(feature.geometry)) as geom
    from features

),

states as (

    select *, {{ polygon_state('geom') }} as geom_state
    from parsed

),

checked as (

    select
        *,
        {{ usable_polygon('geom', 'geom_state') }} as usable_geom
    from states

),

rejected as (

    select
        *,
        coalesce(
            case when tile_id is null then 'no tile_id' end,
            case when has_geometry and geom is null then 'unreadable geometry (not GeoJSON)' end,
            {{ polygon_rejection('geom_state', 'usable_geom') }}
        ) as rejection_reason
    from checked

),

final as (

    select
        city,
        grid_file,
        feature_number,
        tile_id,
        case when rejection_reason is null then usable_geom end as tile_geom,
        rejection_reason is null and geom_state = 'invalid' as is_geom_repaired,
        rejection_reason,
        rejection_reason is null as is_kept
    from rejected
    union all
    select
        city,
        grid_file,
        feature_number,
        null::bigint as tile_id,
        null::geometry as tile_geom,
        false as is_geom_repaired,
        'grid file holds no tiles' as rejection_reason,
        false as is_kept
    from empty_files

)

select * from final
