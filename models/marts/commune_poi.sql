{#- One row per study commune: Overture places of the six study categories counted in the commune
    by the processing choice `poi_assignment` (step 10; Table 3 controls), as counts and per 1000
    inhabitants, with the account of the places whose point lies in the commune polygon: how many
    the rule counts elsewhere or sets aside, and how many it brings in from outside the polygon.
    `tile` (study): the commune of the grid tile holding the point; `polygon` (corrected): the
    commune polygon holding it (int_places__communes). -#}

{%- set rule = processing_choice('poi_assignment') %}

with summary as (

    select commune_code, population from {{ ref('int_communes__estimates') }}

),

places as (

    select
        place_id,
        category,
        polygon_commune_code,
        {{ rule }}_commune_code as commune_code
    from {{ ref('int_places__communes') }}

),

counts as (

    select
        commune_code,
        {% for category in var('poi_categories') -%}
        count(*) filter (where category = '{{ category }}') as n_{{ category }},
        {% endfor -%}
        count(*) as n_places,
        count(*) filter (where polygon_commune_code is distinct from commune_code) as n_places_from_elsewhere
    from places
    where commune_code is not null
    group by commune_code

),

in_polygon as (

    select
        polygon_commune_code as commune_code,
        count(*) as n_places_in_polygon,
        count(*) filter (where commune_code <> polygon_commune_code) as n_places_counted_elsewhere,
        count(*) filter (where commune_code is null) as n_places_set_aside
    from places
    where polygon_commune_code is not null
    group by polygon_commune_code

),

final as (

    select
        summary.commune_code,
        {% for category in var('poi_categories') -%}
        coalesce(counts.n_{{ category }}, 0) as n_{{ category }},
        coalesce(counts.n_{{ category }}, 0) / summary.population * 1000 as {{ category }}_per_1000,
        {% endfor -%}
        '{{ rule }}' as poi_assignment,
        coalesce(counts.n_places, 0) as n_places,
        coalesce(in_polygon.n_places_in_polygon, 0) as n_places_in_polygon,
        coalesce(in_polygon.n_places_counted_elsewhere, 0) as n_places_counted_elsewhere,
        coalesce(in_polygon.n_places_set_aside, 0) as n_places_set_aside,
        coalesce(counts.n_places_from_elsewhere, 0) as n_places_from_elsewhere,
        {{ processing_profile_columns() }}
    from summary
    left join counts using (commune_code)
    left join in_polygon using (commune_code)

)

select * from final
