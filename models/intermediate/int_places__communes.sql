{#- One row per study-category place inside a study commune: the commune whose polygon contains
    the point. A point exactly on a shared border intersects two polygons; it goes to the smaller
    commune code, so every place counts once. A place id seen twice counts once. -#}

with places as (

    select * from {{ ref('int_places__categorised') }}
    where is_study_category

),

communes as (

    select * from {{ ref('stg_ign__communes') }}

),

distinct_places as (

    select place_id, any_value(category) as category, any_value(geometry) as geometry
    from places
    group by place_id

),

located as (

    select
        distinct_places.place_id,
        distinct_places.category,
        min(communes.commune_code) as commune_code
    from distinct_places
    inner join communes
        on ST_Intersects(communes.commune_geom, distinct_places.geometry)
    group by distinct_places.place_id, distinct_places.category

),

final as (

    select * from located

)

select * from final
