{#- One row per commune and kept local hour: the series the step-4 correlations use. ln volumes
    with zeros (and anything below `log_floor`) floored before the log; ln Tor `tor_lag_hours`
    real hours earlier (null where that hour was dropped, e.g. an anomaly day); and average
    ranks within the commune (ties share their mean rank) for Spearman's rho. -#}

with commune_hour as (

    select * from {{ ref('commune_hour') }}

),

logged as (

    select
        commune_code,
        hour_start_utc,
        web_adult_dl,
        tor_dl,
        {{ floored_ln('web_adult_dl') }} as ln_web_adult,
        {{ floored_ln('tor_dl') }} as ln_tor
    from commune_hour

),

lagged as (

    select
        logged.*,
        earlier.ln_tor as ln_tor_lagged
    from logged
    left join logged as earlier
        on earlier.commune_code = logged.commune_code
       and earlier.hour_start_utc = logged.hour_start_utc - to_hours({{ var('tor_lag_hours') }})

),

final as (

    select
        commune_code,
        hour_start_utc,
        ln_web_adult,
        ln_tor,
        ln_tor_lagged,
        rank() over (partition by commune_code order by web_adult_dl)
            + (count(*) over (partition by commune_code, web_adult_dl) - 1) / 2.0 as rank_web_adult,
        rank() over (partition by commune_code order by tor_dl)
            + (count(*) over (partition by commune_code, tor_dl) - 1) / 2.0 as rank_tor,
        tor_dl = 0 as is_tor_zero
    from lagged

)

select * from final
