{#- A city with traffic files but no grid (all its lines would be set aside and its communes
    vanish) or a grid but no traffic files stops the build, naming the city and what is missing. -#}

{{ config(severity='error', store_failures=true) }}

with traffic_cities as (

    select distinct city from {{ ref('int_traffic__loaded_files') }}

),

grid_cities as (

    select distinct city from {{ ref('stg_netmob__tiles') }}

),

final as (

    select
        coalesce(traffic_cities.city, grid_cities.city) as city,
        case
            when grid_cities.city is null
                then 'traffic files for ' || traffic_cities.city || ' but no grid file grid/' || traffic_cities.city || '.geojson under data_root'
            else 'grid file grid/' || grid_cities.city || '.geojson but no traffic file for ' || grid_cities.city || ' under data_root'
        end as message
    from traffic_cities
    full outer join grid_cities using (city)
    where traffic_cities.city is null or grid_cities.city is null

)

select * from final
