{#- One row per city and place inside a top tile (any service): Overture places of every category,
    deduplicated by place id (the row with the highest confidence, then the smallest category),
    each placed in exactly one tile of the city's grid. A point on a shared tile edge or corner
    intersects several tiles; it belongs to the one with the smallest tile id among all grid tiles
    it touches, whether or not that tile is a top tile, so the assignment does not depend on the
    ranking. Intermediate only: tile ids never reach a report. -#}

with places as (

    select * from {{ ref('int_places__categorised') }}

),

tiles as (

    select * from {{ ref('stg_netmob__tiles') }}

),

top_tiles as (

    select distinct city, tile_id from {{ ref('int_tiles__top_traffic') }}

),

distinct_places as (

    select place_id, category, geometry
    from places
    qualify row_number() over (
        partition by place_id
        order by confidence desc nulls last, category asc, ST_AsText(geometry)
    ) = 1

),

top_tile_geoms as (

    select tiles.city, tiles.tile_id, tiles.tile_geom
    from tiles
    inner join top_tiles using (city, tile_id)

),

candidates as (

    select distinct top_tile_geoms.city, distinct_places.place_id
    from distinct_places
    inner join top_tile_geoms
        on ST_Intersects(top_tile_geoms.tile_geom, distinct_places.geometry)

),

candidate_places as (

    select candidates.city, distinct_places.*
    from candidates
    inner join distinct_places using (place_id)

),

touching as (

    select
        candidate_places.city,
        candidate_places.place_id,
        candidate_places.category,
        tiles.tile_id
    from candidate_places
    inner join tiles
        on tiles.city = candidate_places.city
       and ST_Intersects(tiles.tile_geom, candidate_places.geometry)

),

final as (

    select
        city,
        place_id,
        category,
        min(tile_id) as tile_id,
        count(*) as n_touching_tiles
    from touching
    group by city, place_id, category

)

select * from final
