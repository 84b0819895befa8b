{#- Warns with one row per grid file and outcome when a tile's polygon was not usable as it was
    (macros/geometry_checks.sql): tiles set aside (their traffic lines are set aside too, listed in
    traffic_quarantine and counted per city in city_tile_coverage), and tiles repaired by
    ST_MakeValid (placed by the centroid of the repaired polygon; how many of them then fall outside
    every commune). Names the file, the reason and the tiles (the first 20). -#}

{{ config(severity='warn', store_failures=true) }}

with grid as (

    select * from {{ ref('base_netmob__tiles') }}
    where feature_number > 0 and (not is_kept or is_geom_repaired)

),

crosswalk as (

    select * from {{ ref('int_tiles__communes') }}

),

outcomes as (

    select
        grid.city,
        grid.grid_file,
        grid.tile_id,
        grid.feature_number,
        coalesce('set aside: ' || grid.rejection_reason, 'polygon repaired by ST_MakeValid') as outcome,
        grid.is_kept and not crosswalk.is_assigned as is_outside
    from grid
    left join crosswalk
        on grid.is_kept
       and crosswalk.city = grid.city
       and crosswalk.tile_id = grid.tile_id

),

final as (

    select
        city,
        grid_file,
        outcome,
        count(*) as n_tiles,
        count(*) || ' tile(s) of ' || grid_file || ' ' || outcome || ' (tiles '
            || array_to_string(list(coalesce(tile_id::varchar, 'with no id, feature ' || feature_number) order by feature_number)[1:20], ', ')
            || case when count(*) > 20 then ', ...' else '' end || ')'
            || case
                when outcome like 'set aside%' then '; their traffic lines are set aside (traffic_quarantine)'
                when count(*) filter (where is_outside) > 0 then '; ' || count(*) filter (where is_outside) || ' of them outside every commune'
                else ''
            end as message
    from outcomes
    group by city, grid_file, outcome

)

select * from final
