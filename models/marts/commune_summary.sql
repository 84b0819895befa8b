{#- One row per study commune of the urban areas present in the data: 77-day download totals,
    the hourly Web_Adult-Tor correlations, the correction factor c, the estimate cpc and every
    per-1000 rate and control the study uses. Exploratory area-level associations only: no
    individual or causal meaning. The population of the per-1000 rates follows the
    `population_source` choice of the processing profile. -#}

{%- set population_source = processing_choice('population_source') %}

with study_communes as (

    select * from {{ ref('study_communes') }}

),

communes as (

    select * from {{ ref('stg_ign__communes') }}

),

admin as (

    select * from {{ ref('commune_admin') }}

),

tiles as (

    select * from {{ ref('int_tiles__communes') }}

),

commune_hour as (

    select * from {{ ref('commune_hour') }}

),

correlations as (

    select * from {{ ref('int_communes__traffic_correlations') }}

),

correction as (

    select * from {{ ref('int_communes__correction_factors') }}

),

crime as (

    select * from {{ ref('int_crime__commune_rates') }}

),

controls as (

    select * from {{ ref('int_communes__controls') }}

),

line_checks as (

    select * from {{ ref('int_communes__traffic_line_checks') }}

),

covered_cities as (

    select distinct city from tiles

),

tile_counts as (

    select commune_code, count(*) as n_tiles
    from tiles
    where is_assigned
    group by commune_code

),

totals as (

    select
        commune_code,
        {% for service in var('services') -%}
        sum({{ service | lower }}_dl) as {{ service | lower }}_dl{{ ',' if not loop.last }}
        {% endfor %}
    from commune_hour
    group by commune_code

),

joined as (

    select
        study_communes.commune_code,
        coalesce(communes.commune_name, admin.commune_name) as commune_name,
        study_communes.city,
        admin.kind as commune_kind,
        admin.department as department_code,
        admin.region as region_code,
        admin.epci as epci_code,
        {%- if population_source == 'study' %}
        study_communes.study_population as population,
        'study: cpc_com.csv pop (IGN ADMIN-EXPRESS-COG 2019)' as population_source,
        {%- else %}
        communes.population,
        'commune file, {{ var("communes_population_year") or "year not stated (var communes_population_year)" }}' as population_source,
        {%- endif %}
        communes.population as commune_file_population,
        coalesce(tile_counts.n_tiles, 0) as n_tiles,
        correlations.n_hours,
        correlations.n_hours_without_tor,
        totals.tor_dl,
        totals.web_adult_dl,
        totals.youtube_dl,
        correction.rho,
        correlations.rho_spearman,
        correction.rho_tor_lagged,
        correction.rho_preprint,
        correction.rho_preprint_tor_lagged,
        correction.correction,
        correction.is_rho_floored,
        correction.rho_prime,
        correction.c,
        correction.c_published,
        correction.c_preprint,
        correction.c * totals.tor_dl as cpc,
        correction.c_tor_lagged,
        correction.c_tor_lagged * totals.tor_dl as cpc_tor_lagged,
        coalesce(line_checks.n_lines_set_aside, 0) as n_lines_set_aside,
        coalesce(line_checks.n_lines_absent, 0) as n_lines_absent,
        coalesce(line_checks.share_lines_set_aside, 0) as share_lines_set_aside,
        line_checks.set_aside_reasons,
        line_checks.commune_code is not null as has_set_aside_lines
    from study_communes
    inner join covered_cities using (city)
    left join communes using (commune_code)
    left join admin using (commune_code)
    left join tile_counts using (commune_code)
    left join totals using (commune_code)
    left join correlations using (commune_code)
    left join correction using (commune_code)
    left join line_checks using (commune_code)

),

per_1000 as (

    select
        *,
        population < {{ var('small_population_threshold') }} as is_small_population,
        tor_dl / population * 1000 as tor_per_1000,
        web_adult_dl / population * 1000 as web_adult_per_1000,
        youtube_dl / population * 1000 as youtube_per_1000,
        cpc / population * 1000 as cpc_per_1000,
        cpc_tor_lagged / population * 1000 as cpc_tor_lagged_per_1000
    from joined

),

final as (

    select
        per_1000.*,
        {{ floored_ln('tor_per_1000') }} as log_tor_per_1000,
        {{ floored_ln('web_adult_per_1000') }} as log_web_adult_per_1000,
        {{ floored_ln('youtube_per_1000') }} as log_youtube_per_1000,
        {{ floored_ln('cpc_per_1000') }} as log_cpc_per_1000,
        {{ floored_ln('cpc_tor_lagged_per_1000') }} as log_cpc_tor_lagged_per_1000,
        crime.* exclude (commune_code),
        controls.* exclude (commune_code, department_code, epci_code),
        {{ processing_profile_columns() }}
    from per_1000
    left join crime using (commune_code)
    left join controls using (commune_code)

)

select * from final
