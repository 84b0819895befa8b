{#- One row per commune: the correction factor of step 5, in both of the study's versions, and the
    one the `correction` var selects as `c`.
    - published: rho' = rho (Pearson ln-ln), or the floor c_floor / (s_onion x s_csam) where
      rho < 0, so that c = s_onion x s_csam x rho' >= c_floor;
    - preprint: rho' from the Spearman correlation of the YouTube-differenced logs, floored the
      same way, and c = s_csam x rho'.
    The same for the lagged-Tor variants (robustness). -#}

{%- set correction = processing_choice('correction') %}
{%- set rho_floor = var('c_floor') ~ ' / ' ~ correction_scale() %}

with correlations as (

    select * from {{ ref('int_communes__traffic_correlations') }}

),

floored as (

    select
        commune_code,
        rho,
        rho_tor_lagged,
        rho_preprint,
        rho_preprint_tor_lagged,
        {% for name in ['rho', 'rho_tor_lagged', 'rho_preprint', 'rho_preprint_tor_lagged'] -%}
        case when {{ name }} < 0 then {{ rho_floor }} else {{ name }} end as {{ name }}_prime{{ ',' if not loop.last }}
        {% endfor %}
    from correlations

),

versions as (

    select
        *,
        {{ correction_scale() }} * rho_prime as c_published,
        {{ correction_scale() }} * rho_tor_lagged_prime as c_published_tor_lagged,
        {{ s_csam() }} * rho_preprint_prime as c_preprint,
        {{ s_csam() }} * rho_preprint_tor_lagged_prime as c_preprint_tor_lagged
    from floored

),

final as (

    select
        commune_code,
        '{{ correction }}' as correction,
        rho,
        {%- if correction == 'published' %}
        rho < 0 as is_rho_floored,
        rho_prime,
        c_published as c,
        rho_tor_lagged,
        rho_tor_lagged_prime as rho_prime_tor_lagged,
        c_published_tor_lagged as c_tor_lagged,
        {%- else %}
        rho_preprint < 0 as is_rho_floored,
        rho_preprint_prime as rho_prime,
        c_preprint as c,
        rho_tor_lagged,
        rho_preprint_tor_lagged_prime as rho_prime_tor_lagged,
        c_preprint_tor_lagged as c_tor_lagged,
        {%- endif %}
        rho_preprint,
        rho_preprint_tor_lagged,
        c_published,
        c_preprint
    from versions

)

select * from final
