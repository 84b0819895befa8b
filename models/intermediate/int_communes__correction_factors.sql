{#- One row per commune: the correction factor of step 5, in both of the study's versions, and the
    one the `correction` var selects as `c`.
    - published: rho' = rho (Pearson ln-ln; or the hourly correlation the `published_rho` choice
      names: Spearman ln-ln, or Pearson of the YouTube-differenced logs), or the floor
      c_floor / (s_onion x s_csam) where it is < 0, so that c = s_onion x s_csam x rho' >= c_floor;
    - preprint: rho' from the Spearman correlation of the YouTube-differenced logs, floored the
      same way, and c = s_csam x rho'.
    The same for the lagged-Tor variants (robustness). -#}

{%- set correction = processing_choice('correction') %}
{%- set published_rho = processing_choice('published_rho') %}
{%- set published_rho_column = {'pearson': 'rho', 'spearman': 'rho_spearman', 'youtube_differenced': 'rho_youtube_differenced'}[published_rho] %}
{%- if correction == 'preprint' and published_rho != 'pearson' %}
  {{ exceptions.raise_compiler_error("published_rho applies to `correction: published` only (the preprint's rho is fixed: Spearman of the YouTube-differenced logs); got published_rho '" ~ published_rho ~ "' with correction 'preprint'") }}
{%- endif %}
{%- set rho_floor = var('c_floor') ~ ' / ' ~ correction_scale() %}

with correlations as (

    select * from {{ ref('int_communes__traffic_correlations') }}

),

floored as (

    select
        commune_code,
        rho,
        {{ published_rho_column }} as rho_published,
        rho_tor_lagged,
        rho_preprint,
        rho_preprint_tor_lagged,
        {% for name in ['rho_published', 'rho_tor_lagged', 'rho_preprint', 'rho_preprint_tor_lagged'] -%}
        case when {{ name }} < 0 then {{ rho_floor }} else {{ name }} end as {{ name }}_prime{{ ',' if not loop.last }}
        {% endfor %}
    from correlations

),

versions as (

    select
        *,
        {{ correction_scale() }} * rho_published_prime as c_published,
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
        rho_published < 0 as is_rho_floored,
        rho_published_prime as rho_prime,
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
