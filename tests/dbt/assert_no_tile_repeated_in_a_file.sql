{#- A file lists each tile once: more summed lines for a commune and day than the commune has tiles
    in the grid means a tile is repeated. Checked on the aggregates, so the raw scan pays nothing. -#}

with commune_days as (

    select city, commune_code, service, traffic_date, n_tiles
    from {{ ref('int_traffic__commune_day_hours') }}

),

grid as (

    select city, commune_code, count(*) as n_grid_tiles
    from {{ ref('int_tiles__communes') }}
    group by city, commune_code

),

final as (

    select commune_days.*, grid.n_grid_tiles
    from commune_days
    inner join grid
        on grid.city = commune_days.city
       and grid.commune_code is not distinct from commune_days.commune_code
    where commune_days.n_tiles > grid.n_grid_tiles

)

select * from final
