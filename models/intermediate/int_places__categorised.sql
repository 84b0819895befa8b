{#- One row per Overture place with a point geometry and a category, flagged when it is one of the study's six. -#}

{%- set study_categories = var('poi_categories') %}

with places as (

    select * from {{ ref('stg_overture__places') }}

),

final as (

    select
        place_id,
        main_category as category,
        alternate_categories,
        confidence,
        place_geom as geometry,
        main_category in ({% for c in study_categories %}'{{ c }}'{{ ', ' if not loop.last }}{% endfor %})
            as is_study_category
    from places
    where place_geom is not null
      and main_category is not null
      and ST_GeometryType(place_geom) = 'POINT'

)

select * from final
