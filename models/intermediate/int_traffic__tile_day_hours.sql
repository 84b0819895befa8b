{{ config(materialized='view') }}
{#- One row per city, service, day and tile: quarter-hours summed to the 24 local hours while the
    data is still wide (before any unpivot). A local day has 24 hours, 23 on the spring-forward
    day: its file holds 92 values, 00:00-01:45 then 03:00 onwards, so from the gap hour on the
    values belong one hour later; the hour that does not exist stays null. Nothing is shifted. -#}

{%- set gap = var('dst_gap_hour') -%}

with traffic as (

    select * from {{ ref('stg_netmob__traffic') }}

),

day_length as (

    select
        *,
        date_diff(
            'hour',
            timezone('{{ var("timezone") }}', traffic_date::timestamp),
            timezone('{{ var("timezone") }}', (traffic_date + 1)::timestamp)
        ) as local_day_hours
    from traffic

),

final as (

    select
        city,
        service,
        traffic_date,
        tile_id,
        local_day_hours,
        n_values,
        n_values = 4 * local_day_hours as has_expected_values,
        {% for h in range(24) -%}
        {%- set normal = [] -%}{%- for q in range(1, 5) -%}{%- do normal.append('v%02d' % (4 * h + q)) -%}{%- endfor -%}
        {%- if h < gap -%}
        {{ normal | join(' + ') }} as h{{ '%02d' % h }},
        {%- else -%}
        {%- set shifted = [] -%}{%- for q in range(1, 5) -%}{%- do shifted.append('v%02d' % (4 * (h - 1) + q)) -%}{%- endfor %}
        case
            when local_day_hours = 23 then {{ 'null' if h == gap else shifted | join(' + ') }}
            else {{ normal | join(' + ') }}
        end as h{{ '%02d' % h }},
        {%- endif %}
        {% endfor -%}
        source_file
    from day_length

)

select * from final
