{#- One row per commune of the sample (int_communes__sample): what the processing profile changes,
    the traffic part of commune_summary, shared by the marts that need a commune's estimate
    (commune_summary, commune_poi, heatmap_weekday_hour, national_context, commune_boundaries):
    download totals over the kept hours, the hourly Web_Adult-Tor correlations, the correction factor
    c, the estimate cpc, the per-1000 rates and their logs. The population of the per-1000 rates
    follows the `population_source` choice of the processing profile. Exploratory area-level
    associations only: no individual or causal meaning. -#}

{%- set population_source = processing_choice('population_source') %}

with sample as (

    select * from {{ ref('int_communes__sample') }}

),

commune_hours as (

    select * from {{ ref('int_traffic__commune_hours') }}

),

correlations as (

    select * from {{ ref('int_communes__traffic_correlations') }}

),

correction as (

    select * from {{ ref('int_communes__correction_factors') }}

),

totals as (

    select
        commune_code,
        {% for service in var('services') -%}
        sum({{ service | lower }}_dl) as {{ service | lower }}_dl{{ ',' if not loop.last }}
        {% endfor %}
    from commune_hours
    group by commune_code

),

joined as (

    select
        sample.commune_code,
        sample.commune_name,
        sample.city,
        sample.commune_kind,
        sample.department_code,
        sample.region_code,
        sample.epci_code,
        {%- if population_source == 'study' %}
        coalesce(sample.study_population, sample.commune_file_population) as population,
        case when sample.study_population is not null
            then 'study: cpc_com.csv pop (IGN ADMIN-EXPRESS-COG 2019)'
            else 'commune file (not a study commune)' end as population_source,
        {%- else %}
        sample.commune_file_population as population,
        'commune file, {{ var("communes_population_year") or "year not stated (var communes_population_year)" }}' as population_source,
        {%- endif %}
        sample.commune_file_population,
        sample.n_tiles,
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
        sample.is_study_commune,
        sample.n_commune_cities
    from sample
    left join totals using (commune_code)
    left join correlations using (commune_code)
    left join correction using (commune_code)

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
        *,
        {{ floored_ln('tor_per_1000') }} as log_tor_per_1000,
        {{ floored_ln('web_adult_per_1000') }} as log_web_adult_per_1000,
        {{ floored_ln('youtube_per_1000') }} as log_youtube_per_1000,
        {{ floored_ln('cpc_per_1000') }} as log_cpc_per_1000,
        {{ floored_ln('cpc_tor_lagged_per_1000') }} as log_cpc_tor_lagged_per_1000
    from per_1000

)

select * from final
