{#- One row per kept Overture place (rows without a point geometry or a category are quarantined
    upstream, see int_small_inputs__quarantine), flagged when it is one of the study's six. -#}

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

)

select * from final
