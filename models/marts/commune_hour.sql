{#- One row per commune and local hour of the kept days: download volumes of Tor, Web_Adult and
    YouTube summed over the commune's tiles and the hour's quarter-hours. Exploratory area-level
    data: no individual meaning. -#}

with commune_days as (

    select * from {{ ref('int_traffic__commune_day_hours') }}
    where commune_code is not null

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
        dl_volume
    from long

),

pivoted as (

    select
        city,
        commune_code,
        traffic_date,
        hour_of_day,
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
        {{ service | lower }}_dl as {{ service | lower }}_dl{{ ',' if not loop.last }}
        {% endfor %}
    from pivoted

)

select * from final
