{#- One row per commune of commune_summary: its polygon (WGS84), for the report's maps and the
    spatial analysis (neighbours, Moran's I), so that Python reads the geometry from a mart. The
    polygon of a commune, never a tile. The polygon is cast to plain GEOMETRY, the type of its contract:
    the CRS that DuckDB attaches to the type depends on the reader (ST_Read of a GeoJSON types it
    GEOMETRY('EPSG:4326'), a view read back from the file or a GeoParquet source plain GEOMETRY), while
    the coordinates are always WGS84 lon/lat (macro to_wgs84), GeoParquet's default CRS (OGC:CRS84). -#}

with estimates as (

    select commune_code, city, commune_name from {{ ref('int_communes__estimates') }}

),

communes as (

    select commune_code, commune_geom from {{ ref('stg_ign__communes') }}

),

final as (

    select
        estimates.commune_code,
        estimates.city,
        estimates.commune_name,
        communes.commune_geom::geometry as commune_geom,
        {{ processing_profile_columns() }}
    from estimates
    inner join communes using (commune_code)

)

select * from final
