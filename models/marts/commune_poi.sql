{#- One row per study commune: Overture places of the six study categories inside the commune
    (point in polygon), as counts and per 1000 inhabitants (step 10; Table 3 controls). -#}

with summary as (

    select commune_code, population from {{ ref('int_communes__estimates') }}

),

places as (

    select * from {{ ref('int_places__communes') }}

),

counts as (

    select
        commune_code,
        {% for category in var('poi_categories') -%}
        count(*) filter (where category = '{{ category }}') as n_{{ category }}{{ ',' if not loop.last }}
        {% endfor %}
    from places
    group by commune_code

),

final as (

    select
        summary.commune_code,
        {% for category in var('poi_categories') -%}
        coalesce(counts.n_{{ category }}, 0) as n_{{ category }},
        coalesce(counts.n_{{ category }}, 0) / summary.population * 1000 as {{ category }}_per_1000,
        {% endfor -%}
        {{ processing_profile_columns() }}
    from summary
    left join counts using (commune_code)

)

select * from final
