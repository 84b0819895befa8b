{#- One row per pre-2015 region and search-term column: Google Trends popularity (0-100), unpivoted, and
    the reason the value is quarantined (null when kept). -#}

{%- set path = source_path('gtrends', 'gtrends_regions') %}

with source as (

    select row_number() over () + 1 as line_number, *
    from read_csv({{ sql_quote(path) }}, delim=';', header=true, all_varchar=true)

),

unpivoted as (

    unpivot source
    on columns(* exclude (line_number, geoName, code_reg))
    into name search_term_column value popularity_text

),

checked as (

    select
        line_number,
        trim(geoName) as region_name,
        trim(code_reg) as region_code,
        search_term_column,
        regexp_replace(search_term_column, '_(x|y)$', '') as search_term,
        case when trim(popularity_text) = '<1' then 0 else try_cast(trim(popularity_text) as integer) end as popularity,
        {{ reasons([
            ("trim(popularity_text) <> '<1' and try_cast(trim(popularity_text) as integer) is null", 'non-numeric value'),
            ("try_cast(trim(popularity_text) as integer) not between 0 and 100", 'popularity outside 0-100'),
        ]) }} as rejection_reason
    from unpivoted

),

final as (

    select *, rejection_reason is null as is_kept
    from checked

)

select * from final
