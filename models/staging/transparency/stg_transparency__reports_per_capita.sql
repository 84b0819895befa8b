{#- One row per country and year: CyberTipline reports with the country's population and region, renamed and typed. -#}

with source as (

    select * from {{ source('transparency', 'reports_per_capita') }}

),

final as (

    select
        trim(iso3) as country_iso3,
        trim(iso2) as country_iso2,
        trim(country) as country_name,
        year as report_year,
        reports as cybertipline_reports,
        population,
        reports_per_capita,
        trim(region) as region,
        trim(superregion) as superregion,
        trim(continent) as continent
    from source

)

select * from final
