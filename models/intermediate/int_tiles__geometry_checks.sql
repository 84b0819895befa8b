{#- One row per grid feature whose polygon was repaired (ST_MakeValid) or that was set aside (null,
    empty, unreadable or unrepairable polygon, no tile id): where it went. A repaired tile is placed
    by the centroid of its repaired polygon, like any tile: in a commune, or outside every commune
    (counted in city_tile_coverage). A tile set aside is not in the crosswalk, so its traffic lines
    are set aside (traffic_quarantine names the reason) and counted per city; which commune it
    would have fallen in cannot be known without its polygon. -#}

with grid as (

    select * from {{ ref('base_netmob__tiles') }}
    where feature_number > 0 and (not is_kept or is_geom_repaired)

),

crosswalk as (

    select * from {{ ref('int_tiles__communes') }}

),

final as (

    select
        grid.city,
        grid.grid_file,
        grid.feature_number,
        grid.tile_id,
        grid.is_geom_repaired,
        grid.rejection_reason,
        crosswalk.commune_code,
        crosswalk.is_assigned
    from grid
    left join crosswalk
        on grid.is_kept
       and crosswalk.city = grid.city
       and crosswalk.tile_id = grid.tile_id

)

select * from final
