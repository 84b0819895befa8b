{#- One row per pre-2015 region and search-term column: the loaded Google Trends popularity values
    (0-100) that the PCA of step 9 reads; the quarantined values are in small_inputs_quarantine. -#}

with search_terms as (

    select * from {{ ref('stg_gtrends__region_search_terms') }}

),

final as (

    select
        region_name,
        region_code,
        search_term_column,
        search_term,
        popularity
    from search_terms

)

select * from final
