{#- One row per country and year: NCMEC CyberTipline reports, thousands separators removed, and the
    reason the value is quarantined (null when kept). -#}

{%- set path = source_path('cybertipline', 'reports_per_country') %}

with source as (

    select row_number() over () + 1 as line_number, *
    from read_csv({{ sql_quote(path) }}, delim=',', quote='"', header=true, all_varchar=true)

),

filled as (

    {#- Empty cells become '' so that the unpivot keeps them (it drops nulls). -#}
    select line_number, country, iso3, coalesce(columns(* exclude (line_number, country, iso3)), '')
    from source

),

unpivoted as (

    unpivot filled
    on columns(* exclude (line_number, country, iso3))
    into name report_year_text value reports_text

),

checked as (

    select
        line_number,
        trim(country) as country_name,
        trim(iso3) as country_iso3,
        try_cast(report_year_text as integer) as report_year,
        try_cast(replace(replace(trim(reports_text), ',', ''), ' ', '') as bigint) as cybertipline_reports,
        {{ reasons([
            ("try_cast(report_year_text as integer) is null", 'year column not a year'),
            ("nullif(trim(reports_text), '') is not null and try_cast(replace(replace(trim(reports_text), ',', ''), ' ', '') as bigint) is null",
                'non-numeric value'),
            ("try_cast(replace(replace(trim(reports_text), ',', ''), ' ', '') as bigint) < 0", 'negative count'),
        ]) }} as rejection_reason
    from unpivoted

),

final as (

    select *, rejection_reason is null as is_kept
    from checked

)

select * from final
