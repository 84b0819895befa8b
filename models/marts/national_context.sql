{#- One row per country and year (2019-2023): NCMEC CyberTipline reports (thousands separators
    parsed in staging), per 1000 inhabitants with the Diaphanous population, and the rank among
    European countries that year; on France's row for the study year (2019), the study's own
    totals beside them. Reports and traffic-based estimates are different quantities: shown side
    by side for context, never compared as equals. No individual or causal meaning. -#}

with reports as (

    select * from {{ ref('stg_cybertipline__reports_per_country') }}

),

capita as (

    select * from {{ ref('stg_transparency__reports_per_capita') }}

),

summary as (

    select * from {{ ref('int_communes__estimates') }}

),

joined as (

    select
        reports.country_name,
        reports.country_iso3,
        reports.report_year,
        reports.cybertipline_reports,
        capita.population,
        capita.region,
        capita.continent,
        coalesce(capita.continent = 'Europe', false) as is_europe,
        reports.cybertipline_reports / capita.population * 1000 as reports_per_1000
    from reports
    left join capita
        on capita.country_iso3 = reports.country_iso3
       and capita.report_year = reports.report_year

),

europe_ranks as (

    select
        country_iso3,
        report_year,
        rank() over (partition by report_year order by reports_per_1000 desc) as europe_rank_per_1000,
        count(*) over (partition by report_year) as n_europe_ranked
    from joined
    where is_europe and reports_per_1000 is not null

),

study_totals as (

    select
        'FRA' as country_iso3,
        year('{{ var("study_start") }}'::date) as report_year,
        count(*) as study_n_communes,
        sum(population) as study_population,
        sum(tor_dl) as study_tor_dl,
        -- float sums in a fixed order: bit-identical rebuilds
        sum(cpc order by commune_code) as study_cpc,
        sum(cpc order by commune_code) / sum(population) * 1000 as study_cpc_per_1000
    from summary

),

final as (

    select
        joined.country_name,
        joined.country_iso3,
        joined.report_year,
        joined.cybertipline_reports,
        joined.population,
        joined.region,
        joined.continent,
        joined.is_europe,
        joined.reports_per_1000,
        europe_ranks.europe_rank_per_1000,
        europe_ranks.n_europe_ranked,
        joined.country_iso3 = 'FRA' as is_france,
        study_totals.study_n_communes,
        study_totals.study_population,
        study_totals.study_population / joined.population as study_population_share,
        study_totals.study_tor_dl,
        study_totals.study_cpc,
        study_totals.study_cpc_per_1000,
        {{ processing_profile_columns() }}
    from joined
    left join europe_ranks using (country_iso3, report_year)
    left join study_totals using (country_iso3, report_year)

)

select * from final
