{#- One row per city and tile: the commune whose polygon contains the tile's centroid (the study's
    rule), or null for a tile outside every study commune. Such tiles are kept and counted. -#}

with tiles as (

    select * from {{ ref('stg_netmob__tiles') }}

),

communes as (

    select * from {{ ref('stg_ign__communes') }}

),

containing as (

    select
        tiles.city,
        tiles.tile_id,
        communes.commune_code
    from tiles
    left join communes
        on ST_Contains(communes.commune_geom, tiles.centroid_geom)

),

final as (

    select
        city,
        tile_id,
        min(commune_code) as commune_code,
        count(commune_code) as n_containing_communes,
        min(commune_code) is not null as is_assigned
    from containing
    group by city, tile_id

)

select * from final
