{{ config(materialized="table") }}
{#- One row per city and tile of the grids: the kept features of base_netmob__tiles (a polygon
    repaired by ST_MakeValid flagged), with the polygon's centroid, the point that places the tile
    in a commune. The features set aside are listed there with their reason. -#}

with base as (

    select * from {{ ref('base_netmob__tiles') }}
    where is_kept

),

final as (

    select
        city,
        tile_id,
        tile_geom,
        ST_Centroid(tile_geom) as centroid_geom,
        is_geom_repaired
    from base

)

select * from final
