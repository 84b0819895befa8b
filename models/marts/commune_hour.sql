{#- One row per commune, local day and hour of the day under the processing profile: download
    volumes of Tor, Web_Adult and YouTube summed over the commune's tiles and the hour's kept
    quarter-hours (int_traffic__commune_hours applies the profile). Exploratory area-level data:
    no individual meaning. -#}

with commune_hours as (

    select * from {{ ref('int_traffic__commune_hours') }}

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
        {{ processing_profile_columns() }}
    from commune_hours

)

select * from final
