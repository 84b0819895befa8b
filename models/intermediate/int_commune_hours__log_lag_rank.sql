{#- One row per commune and kept hour (int_traffic__commune_hours): the series the step-4
    correlations use. ln volumes with zeros (and anything below `log_floor`) floored before the
    log; ln Tor `tor_lag_hours` earlier (null where that hour is absent), on the clock of the
    profile's labels: by label (date + hour label) with `dst_day_labels: position`, as a series
    read the notebook's way would be shifted, or by real elapsed hours (UTC) with `local_time`;
    the preprint's YouTube-differenced logs; and average ranks within the commune (ties share
    their mean rank) for the Spearman correlations. -#}

{%- set lag_clock = 'hour_start_local' if processing_choice('dst_day_labels') == 'position' else 'hour_start_utc' %}

with commune_hours as (

    select * from {{ ref('int_traffic__commune_hours') }}

),

logged as (

    select
        commune_code,
        hour_start_local,
        hour_start_utc,
        {{ floored_ln('web_adult_dl') }} as ln_web_adult,
        {{ floored_ln('tor_dl') }} as ln_tor,
        {{ floored_ln('youtube_dl') }} as ln_youtube,
        tor_dl = 0 as is_tor_zero
    from commune_hours

),

lagged as (

    select
        logged.*,
        logged.ln_web_adult - logged.ln_youtube as ln_web_adult_minus_youtube,
        logged.ln_tor - logged.ln_youtube as ln_tor_minus_youtube,
        earlier.ln_tor as ln_tor_lagged,
        earlier.ln_tor - earlier.ln_youtube as ln_tor_minus_youtube_lagged
    from logged
    left join logged as earlier
        on earlier.commune_code = logged.commune_code
       and earlier.{{ lag_clock }} = logged.{{ lag_clock }} - {{ hours_interval(var('tor_lag_hours')) }}

),

final as (

    select
        commune_code,
        hour_start_local,
        hour_start_utc,
        ln_web_adult,
        ln_tor,
        ln_tor_lagged,
        ln_youtube,
        ln_web_adult_minus_youtube,
        ln_tor_minus_youtube,
        ln_tor_minus_youtube_lagged,
        {{ average_rank('ln_web_adult', 'commune_code') }} as rank_web_adult,
        {{ average_rank('ln_tor', 'commune_code') }} as rank_tor,
        {{ average_rank('ln_web_adult_minus_youtube', 'commune_code') }} as rank_web_adult_minus_youtube,
        {{ average_rank('ln_tor_minus_youtube', 'commune_code') }} as rank_tor_minus_youtube,
        {#- ranks over the hours that have a lagged partner, for the lagged Spearman correlation -#}
        case when ln_tor_lagged is not null then
            {{ average_rank('ln_web_adult_minus_youtube', 'commune_code, ln_tor_lagged is null') }}
        end as rank_web_adult_minus_youtube_lag_pairs,
        case when ln_tor_lagged is not null then
            {{ average_rank('ln_tor_minus_youtube_lagged', 'commune_code, ln_tor_lagged is null') }}
        end as rank_tor_minus_youtube_lagged,
        is_tor_zero
    from lagged

)

select * from final
