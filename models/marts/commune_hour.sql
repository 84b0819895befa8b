{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['commune_code', 'hour_start_utc'],
    on_schema_change='fail'
) }}
{#- One row per commune and local hour of the kept days: download volumes of Tor, Web_Adult and
    YouTube summed over the commune's tiles and the hour's quarter-hours. Exploratory area-level
    data: no individual meaning. Incremental: a run rebuilds only the city-days whose traffic was
    loaded since the last run. -#}

with commune_days as (

    select
        city, commune_code, service, traffic_date, loaded_at,
        {% for h in range(24) %}h{{ '%02d' % h }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ ref('int_traffic__commune_day_hours') }}
    where commune_code is not null
    {% if is_incremental() %}
      and (city, traffic_date) in (
          select city, traffic_date
          from {{ ref('int_traffic__commune_day_hours') }}
          where loaded_at > (select max(existing.loaded_at) from {{ this }} as existing)
      )
    {% endif %}

),

long as (

    unpivot commune_days
    on {% for h in range(24) %}h{{ '%02d' % h }}{{ ', ' if not loop.last }}{% endfor %}
    into name hour_label value dl_volume

),

hourly as (

    select
        city,
        commune_code,
        service,
        traffic_date,
        substr(hour_label, 2)::integer as hour_of_day,
        loaded_at,
        dl_volume
    from long

),

pivoted as (

    select
        city,
        commune_code,
        traffic_date,
        hour_of_day,
        max(loaded_at) as loaded_at,
        {% for service in var('services') -%}
        sum(dl_volume) filter (where service = '{{ service }}') as {{ service | lower }}_dl{{ ',' if not loop.last }}
        {% endfor %}
    from hourly
    group by all

),

final as (

    select
        city,
        commune_code,
        traffic_date + to_hours(hour_of_day) as hour_start_local,
        timezone('UTC', timezone('{{ var("timezone") }}', traffic_date + to_hours(hour_of_day))) as hour_start_utc,
        traffic_date,
        hour_of_day,
        isodow(traffic_date) as iso_day_of_week,
        {% for service in var('services') -%}
        {{ service | lower }}_dl,
        {% endfor -%}
        loaded_at
    from pivoted

)

select * from final
