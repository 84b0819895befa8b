{#- One row per commune of the sample: under `commune_scope: study`, every commune the seed
    study_communes lists for an urban area present in the data; under `all`, every commune that
    receives tiles (is_study_commune marks the study's). The traffic part of
    commune_summary, shared by the marts that need a commune's estimate (commune_summary,
    commune_poi, heatmap_weekday_hour, national_context, commune_boundaries): download totals
    over the kept hours, the hourly Web_Adult-Tor correlations, the correction factor c, the
    estimate cpc, the per-1000 rates and their logs. The population of the per-1000 rates follows
    the `population_source` choice of the processing profile. Exploratory area-level
    associations only: no individual or causal meaning. -#}

{%- set population_source = processing_choice('population_source') %}
{%- set scope = commune_scope() %}

with study_communes as (

    select * from {{ ref('study_communes') }}

),

communes as (

    select * from {{ duckdb_computed('stg_ign__communes') }}

),

admin as (

    select * from {{ ref('commune_admin') }}

),

tiles as (

    select * from {{ duckdb_computed('int_tiles__communes') }}

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

tile_counts as (

    select
        commune_code,
        count(*) as n_tiles,
        any_value(commune_city) as commune_city,
        any_value(n_commune_cities) as n_commune_cities
    from tiles
    where is_assigned
    group by commune_code

),

sample as (

    {%- if scope == 'study' %}
    select study_communes.commune_code, study_communes.city, study_communes.study_population, true as is_study_commune
    from study_communes
    where study_communes.city in (select distinct tiles.city from tiles)
    {%- else %}
    select
        tile_counts.commune_code,
        tile_counts.commune_city as city,
        study_communes.study_population,
        study_communes.commune_code is not null as is_study_commune
    from tile_counts
    left join study_communes using (commune_code)
    {%- endif %}

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
        coalesce(communes.commune_name, admin.commune_name) as commune_name,
        sample.city,
        admin.kind as commune_kind,
        admin.department as department_code,
        admin.region as region_code,
        admin.epci as epci_code,
        {%- if population_source == 'study' %}
        coalesce(sample.study_population, communes.population) as population,
        case when sample.study_population is not null
            then 'study: cpc_com.csv pop (IGN ADMIN-EXPRESS-COG 2019)'
            else 'commune file (not a study commune)' end as population_source,
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
        sample.is_study_commune,
        coalesce(tile_counts.n_commune_cities, 0) as n_commune_cities
    from sample
    left join communes using (commune_code)
    left join admin using (commune_code)
    left join tile_counts using (commune_code)
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
