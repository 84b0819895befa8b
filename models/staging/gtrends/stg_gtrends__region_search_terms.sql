{#- The rows of base_gtrends__region_search_terms that are loaded: the lines kept (no rejection_reason). The others are listed in
    int_small_inputs__quarantine (or counted as excluded in int_small_inputs__reconciliation). -#}

with base as (

    select * from {{ ref('base_gtrends__region_search_terms') }}

),

final as (

    select * exclude (rejection_reason, is_kept)
    from base
    where is_kept

)

select * from final
