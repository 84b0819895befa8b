{#- One row per commune: the hourly correlations between Web_Adult and Tor download of step 4:
    Pearson on floored ln volumes (the published rho), the same with Tor lagged (pairs whose
    lagged hour is absent are left out), Spearman (Pearson on average ranks), Pearson on the
    YouTube-differenced logs, and the preprint's Spearman correlation of those differenced logs,
    plain and with Tor lagged.
    Every float aggregate takes its rows in a fixed order (`order by` inside the aggregate): a
    parallel aggregate adds partial results in whatever order the threads finish, which changes
    the last bits; ordered, two builds of the same inputs are bit-identical. -#}

with hours as (

    select * from {{ ref('int_commune_hours__log_lag_rank') }}

),

final as (

    select
        commune_code,
        count(*) as n_hours,
        count(*) filter (where is_tor_zero) as n_hours_without_tor,
        {{ ordered_corr('ln_web_adult', 'ln_tor', 'hour_start_local') }} as rho,
        count(ln_tor_lagged) as n_hour_pairs_lagged,
        {{ ordered_corr('ln_web_adult', 'ln_tor_lagged', 'hour_start_local') }} as rho_tor_lagged,
        {{ ordered_corr('rank_web_adult', 'rank_tor', 'hour_start_local') }} as rho_spearman,
        {{ ordered_corr('ln_web_adult_minus_youtube', 'ln_tor_minus_youtube', 'hour_start_local') }} as rho_youtube_differenced,
        {{ ordered_corr('rank_web_adult_minus_youtube', 'rank_tor_minus_youtube', 'hour_start_local') }} as rho_preprint,
        {{ ordered_corr('rank_web_adult_minus_youtube_lag_pairs', 'rank_tor_minus_youtube_lagged', 'hour_start_local') }}
            as rho_preprint_tor_lagged
    from hours
    group by commune_code

)

select * from final
