{#- One row per commune, local day and hour of the day under the processing profile: download
    volumes of Tor, Web_Adult and YouTube summed over the commune's tiles and the hour's kept
    quarter-hours (int_traffic__commune_hours applies the profile), and the floored logs of
    Web_Adult and Tor that the commune's rho correlates (int_commune_hours__log_lag_rank).
    Exploratory area-level data: no individual meaning. -#}

with commune_hours as (

    select * from {{ ref('int_traffic__commune_hours') }}

),

logs as (

    select * from {{ ref('int_commune_hours__log_lag_rank') }}

),

final as (

    select
        city,
        commune_code,
        traffic_date,
        hour_of_day,
        real_hour_of_day,
        hour_start_local,
        hour_start_utc,
        iso_day_of_week,
        {% for service in var('services') -%}
        {{ service | lower }}_dl,
        {% endfor -%}
        logs.ln_web_adult,
        logs.ln_tor,
        {{ processing_profile_columns() }}
    from commune_hours
    left join logs using (commune_code, hour_start_local, hour_start_utc)

)

select * from final
