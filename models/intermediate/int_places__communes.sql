{#- One row per study-category place (grain place_id), located by both rules of var `poi_assignment`
    (macros/processing_profile.sql), so that every profile reads the same table:
    - tile (the study's): the grid tile holding the point, then that tile's commune (int_tiles__communes,
      tile centroid in the commune polygon). A point on a shared tile edge or corner belongs to the tile
      with the smallest id among the city's tiles it touches (as in int_tiles__top_tile_places); where
      two cities' grids overlap, to the city whose tile has a commune, then the first city by name.
      A place outside every grid tile, or in a tile whose centroid lies in no commune, gets no commune.
    - polygon: the commune of the sample whose polygon contains the point; a point on a shared border
      goes to the smaller commune code.
    The sample is that of int_communes__estimates: under `commune_scope: study` the seed's communes of
    the cities that have a grid, under `all` the communes that receive tiles. `assignment_case` says how
    the two rules compare for the place; nothing is dropped here. -#}

{%- set scope = commune_scope() %}

with places as (

    select place_id, category, geometry
    from {{ ref('int_places__categorised') }}
    where is_study_category

),

tiles as (

    select city, tile_id, tile_geom from {{ ref('stg_netmob__tiles') }}

),

tile_communes as (

    select city, tile_id, commune_code, commune_city from {{ ref('int_tiles__communes') }}

),

communes as (

    select commune_code, commune_geom from {{ ref('stg_ign__communes') }}

),

study_communes as (

    select commune_code, city from {{ ref('study_communes') }}

),

sample_communes as (

    {%- if scope == 'study' %}
    select study_communes.commune_code, study_communes.city
    from study_communes
    where study_communes.city in (select distinct tile_communes.city from tile_communes)
    {%- else %}
    select distinct commune_code, commune_city as city
    from tile_communes
    where commune_code is not null
    {%- endif %}

),

touching as (

    select
        places.place_id,
        tiles.city,
        tiles.tile_id
    from places
    inner join tiles
        on ST_Intersects(tiles.tile_geom, places.geometry)

),

tile_per_city as (

    select
        place_id,
        city,
        min(tile_id) as tile_id,
        count(*) as n_touching_tiles
    from touching
    group by place_id, city

),

in_tile as (

    select
        tile_per_city.place_id,
        tile_per_city.city,
        tile_per_city.tile_id,
        tile_per_city.n_touching_tiles,
        tile_communes.commune_code as tile_commune_code
    from tile_per_city
    left join tile_communes using (city, tile_id)
    qualify row_number() over (
        partition by tile_per_city.place_id
        order by tile_communes.commune_code is null, tile_per_city.city
    ) = 1

),

in_polygon as (

    select
        places.place_id,
        min(communes.commune_code) as polygon_commune_code
    from places
    inner join communes
        on ST_Intersects(communes.commune_geom, places.geometry)
    inner join sample_communes
        on sample_communes.commune_code = communes.commune_code
    group by places.place_id

),

located as (

    select
        places.place_id,
        places.category,
        coalesce(in_tile.city, sample_communes.city) as city,
        in_tile.tile_id,
        coalesce(in_tile.n_touching_tiles, 0) as n_touching_tiles,
        in_tile.tile_commune_code,
        in_polygon.polygon_commune_code
    from places
    left join in_tile using (place_id)
    left join in_polygon using (place_id)
    left join sample_communes
        on sample_communes.commune_code = in_polygon.polygon_commune_code

),

final as (

    select
        *,
        case
            when tile_commune_code = polygon_commune_code then 'same commune'
            when tile_commune_code is not null and polygon_commune_code is not null then 'tile of another commune'
            when tile_commune_code is not null then 'outside every commune polygon'
            when polygon_commune_code is null then 'outside the study area'
            when tile_id is null then 'outside every grid tile'
            else 'tile of no commune'
        end as assignment_case
    from located

)

select * from final
