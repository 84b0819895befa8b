{#- A city with traffic files but no usable grid (all its lines would be set aside and its communes
    vanish) or a grid but no traffic files stops the build, naming the city and what is missing: no
    grid file, a grid file that holds no tiles (an empty FeatureCollection), or one whose tiles were
    all set aside (base_netmob__tiles gives their reasons). -#}

{{ config(severity='error', store_failures=true) }}

with traffic_cities as (

    select distinct city from {{ ref('int_traffic__loaded_files') }}

),

grid_files as (

    select
        city,
        any_value(grid_file) as grid_file,
        count(*) filter (where feature_number > 0) as n_features,
        count(*) filter (where is_kept) as n_kept,
        string_agg(distinct rejection_reason, '; ' order by rejection_reason) as rejection_reasons
    from {{ ref('base_netmob__tiles') }}
    group by city

),

grid_cities as (

    select distinct city from {{ ref('stg_netmob__tiles') }}

),

final as (

    select
        coalesce(traffic_cities.city, grid_files.city) as city,
        case
            when grid_files.city is null
                then 'traffic files for ' || traffic_cities.city || ' but no grid file grid/' || traffic_cities.city || '.geojson under data_root'
            when grid_files.n_features = 0
                then 'grid file ' || grid_files.grid_file || ' exists but holds no tiles (an empty FeatureCollection)'
                    || case when traffic_cities.city is null then ', and no traffic file for ' || grid_files.city else '' end
            when grid_cities.city is null
                then 'grid file ' || grid_files.grid_file || ' holds ' || grid_files.n_features
                    || ' tiles, all set aside (' || grid_files.rejection_reasons || ')'
            else 'grid file grid/' || grid_files.city || '.geojson but no traffic file for ' || grid_files.city || ' under data_root'
        end as message
    from traffic_cities
    full outer join grid_files using (city)
    left join grid_cities on grid_cities.city = coalesce(traffic_cities.city, grid_files.city)
    where traffic_cities.city is null or grid_files.city is null or grid_cities.city is null

)

select * from final
