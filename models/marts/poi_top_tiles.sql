{#- One row per service and place category (the study's Table 4): places inside the top tiles of
    that service (top 0.1 % of (tile, service) pairs by mean daily download × c), each tile's scaled
    traffic shared equally among the places it holds, averaged per category; categories with at
    least `poi_min_per_category` places, ranked by that average. No tile ids or coordinates:
    counts and averages only. Exploratory area-level associations: no individual or causal meaning. -#}

with top_tiles as (

    select * from {{ ref('int_tiles__top_traffic') }}

),

places as (

    select * from {{ ref('int_tiles__top_tile_places') }}

),

places_in_top_tiles as (

    select
        top_tiles.service,
        top_tiles.city,
        top_tiles.tile_id,
        top_tiles.scaled_mean_daily_dl,
        places.place_id,
        places.category,
        count(*) over (partition by top_tiles.service, top_tiles.city, top_tiles.tile_id) as n_places_in_tile
    from top_tiles
    inner join places
        on places.city = top_tiles.city
       and places.tile_id = top_tiles.tile_id

),

per_place as (

    select
        *,
        scaled_mean_daily_dl / n_places_in_tile as traffic_per_place
    from places_in_top_tiles

),

per_category as (

    select
        service,
        category,
        count(distinct place_id) as n_places,
        count(distinct city || '/' || tile_id) as n_tiles,
        avg(traffic_per_place order by place_id) as mean_traffic_per_place  -- ordered: bit-identical rebuilds
    from per_place
    group by service, category

),

kept as (

    select *
    from per_category
    where n_places >= {{ var('poi_min_per_category', 3) }}

),

final as (

    select
        service,
        row_number() over (partition by service order by mean_traffic_per_place desc, category asc) as category_rank,
        category,
        n_places,
        n_tiles,
        mean_traffic_per_place,
        {{ processing_profile_columns() }}
    from kept

)

select * from final
