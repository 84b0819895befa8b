{#- One row per study commune of the urban areas present in the data: download totals over the
    kept hours, the hourly Web_Adult-Tor correlations, the correction factor c, the estimate cpc
    (int_communes__estimates), how many of the commune's traffic lines were set aside, whether its
    polygon or its tiles' polygons were repaired or set aside (int_communes__geometry_checks), and every
    per-1000 rate and control the study uses. Exploratory area-level associations only: no
    individual or causal meaning. The population of the per-1000 rates follows the
    `population_source` choice of the processing profile. -#}

{%- set rates = ['is_small_population', 'tor_per_1000', 'web_adult_per_1000', 'youtube_per_1000',
    'cpc_per_1000', 'cpc_tor_lagged_per_1000', 'log_tor_per_1000', 'log_web_adult_per_1000',
    'log_youtube_per_1000', 'log_cpc_per_1000', 'log_cpc_tor_lagged_per_1000'] %}

with estimates as (

    select * from {{ ref('int_communes__estimates') }}

),

line_checks as (

    select * from {{ ref('int_communes__traffic_line_checks') }}

),

geometry_checks as (

    select * from {{ duckdb_computed('int_communes__geometry_checks') }}

),

crime as (

    select * from {{ duckdb_computed('int_crime__commune_rates') }}

),

controls as (

    select * from {{ duckdb_computed('int_communes__controls') }}

),

final as (

    select
        {{ star_exclude(rates, 'estimates') }},
        coalesce(line_checks.n_lines_set_aside, 0) as n_lines_set_aside,
        coalesce(line_checks.n_lines_absent, 0) as n_lines_absent,
        coalesce(line_checks.share_lines_set_aside, 0) as share_lines_set_aside,
        line_checks.set_aside_reasons,
        line_checks.commune_code is not null as has_set_aside_lines,
        coalesce(geometry_checks.is_commune_geom_repaired, false) as is_commune_geom_repaired,
        coalesce(geometry_checks.n_tiles_geom_repaired, 0) as n_tiles_geom_repaired,
        coalesce(geometry_checks.n_commune_polygons_set_aside, 0) as n_commune_polygons_set_aside,
        geometry_checks.commune_polygons_set_aside_reasons,
        {% for column in rates -%}
        estimates.{{ column }},
        {% endfor -%}
        {{ star_exclude(['commune_code'], 'crime') }},
        {{ star_exclude(['commune_code', 'department_code', 'epci_code'], 'controls') }},
        {{ processing_profile_columns() }}
    from estimates
    left join line_checks using (commune_code)
    left join geometry_checks using (commune_code)
    left join crime using (commune_code)
    left join controls using (commune_code)

)

select * from final
