{#- One row per country and year: NCMEC CyberTipline reports, thousands separators removed. -#}

with source as (

    select * from {{ source('cybertipline', 'reports_per_country') }}

),

unpivoted as (

    select *
    from source
    unpivot include nulls (reports_text for report_year in ("2019", "2020", "2021", "2022", "2023"))

),

final as (

    select
        trim(country) as country_name,
        trim(iso3) as country_iso3,
        report_year::integer as report_year,
        nullif(replace(trim(reports_text), ',', ''), '')::bigint as cybertipline_reports
    from unpivoted

)

select * from final
