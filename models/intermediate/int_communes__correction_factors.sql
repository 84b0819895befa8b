{#- One row per commune: the correction factor of step 5. rho' = rho, or the floor
    c_floor / (s_onion x s_csam) where rho < 0, so that c = s_onion x s_csam x rho' >= c_floor.
    The same for the lagged-Tor rho (robustness variant). -#}

with correlations as (

    select * from {{ ref('int_communes__traffic_correlations') }}

),

floored as (

    select
        commune_code,
        rho,
        rho < 0 as is_rho_floored,
        case when rho < 0 then {{ var('c_floor') }} / {{ correction_scale() }} else rho end as rho_prime,
        rho_tor_lagged,
        case
            when rho_tor_lagged < 0 then {{ var('c_floor') }} / {{ correction_scale() }}
            else rho_tor_lagged
        end as rho_prime_tor_lagged
    from correlations

),

final as (

    select
        commune_code,
        rho,
        is_rho_floored,
        rho_prime,
        {{ correction_scale() }} * rho_prime as c,
        rho_tor_lagged,
        rho_prime_tor_lagged,
        {{ correction_scale() }} * rho_prime_tor_lagged as c_tor_lagged
    from floored

)

select * from final
