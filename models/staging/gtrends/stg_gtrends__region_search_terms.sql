{#- One row per pre-2015 region and search term column: Google Trends popularity (0-100), unpivoted. -#}

with source as (

    select * from {{ source('gtrends', 'gtrends_regions') }}

),

unpivoted as (

    unpivot source
    on columns(* exclude (geoName, code_reg))
    into name search_term_column value popularity

),

final as (

    select
        trim(geoName) as region_name,
        trim(code_reg) as region_code,
        search_term_column,
        regexp_replace(search_term_column, '_(x|y)$', '') as search_term,
        popularity::integer as popularity
    from unpivoted

)

select * from final
