{#- The rows of base_elections__presidential_2017_communes that are loaded: the lines kept (no
    rejection_reason, not overseas or abroad). The others are listed in
    int_small_inputs__quarantine (or counted as excluded in int_small_inputs__reconciliation). -#}

with base as (

    select * from {{ ref('base_elections__presidential_2017_communes') }}

),

final as (

    select * exclude (rejection_reason, is_kept)
    from base
    where is_kept

)

select * from final
