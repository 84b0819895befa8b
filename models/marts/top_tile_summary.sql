{#- One row per service: how many top tiles (top `top_tile_share` of (tile, service) pairs by mean
    daily download x c), how many communes they lie in, and how many places and categories they
    hold. Counts only: no tile id or coordinate. -#}

with top_tiles as (

    select * from {{ ref('int_tiles__top_traffic') }}

),

places as (

    select * from {{ ref('int_tiles__top_tile_places') }}

),

final as (

    select
        top_tiles.service,
        count(distinct top_tiles.city || '/' || top_tiles.tile_id) as n_top_tiles,
        count(distinct top_tiles.commune_code) as n_communes,
        count(distinct places.place_id) as n_places,
        count(distinct places.category) as n_categories,
        {{ processing_profile_columns() }}
    from top_tiles
    left join places
        on places.city = top_tiles.city
       and places.tile_id = top_tiles.tile_id
    group by top_tiles.service

)

select * from final
