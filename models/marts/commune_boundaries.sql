{#- One row per commune of commune_summary: its polygon (WGS84), for the report's maps and the
    spatial analysis (neighbours, Moran's I), so that Python reads the geometry from a mart. The
    polygon of a commune, never a tile. -#}

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
        communes.commune_geom,
        {{ processing_profile_columns() }}
    from estimates
    inner join communes using (commune_code)

)

select * from final
