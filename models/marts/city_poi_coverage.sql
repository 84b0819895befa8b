{#- One row per urban area and study category: how the Overture places of the six categories in the
    city's grid or in a commune of its sample fall under the two rules of `poi_assignment` (the tile
    of the point, then the tile's commune; or the commune polygon of the point), case by case
    (int_places__communes.assignment_case), and the count each rule gives. Whatever the build's
    choice, both rules are shown. Counts per city only: no place, tile id or coordinate. -#}

with places as (

    select * from {{ ref('int_places__communes') }}
    where city is not null

),

final as (

    select
        city,
        category,
        count(*) as n_places,
        count(*) filter (where assignment_case = 'same commune') as n_same_commune,
        count(*) filter (where assignment_case = 'tile of another commune') as n_tile_of_another_commune,
        count(*) filter (where assignment_case = 'outside every grid tile') as n_outside_grid,
        count(*) filter (where assignment_case = 'tile of no commune') as n_tile_of_no_commune,
        count(*) filter (where assignment_case = 'outside every commune polygon') as n_outside_commune_polygons,
        count(*) filter (where assignment_case = 'outside the study area') as n_outside_study_area,
        count(tile_commune_code) as n_counted_by_tile,
        count(polygon_commune_code) as n_counted_by_polygon
    from places
    group by city, category

)

select * from final
