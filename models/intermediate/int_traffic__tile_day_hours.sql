{{ config(materialized='view') }}
{#- One row per city, service, day and tile: the quarter-hours summed to the 24 local hours while the
    data is still wide (before any unpivot). A local day has 24 hours, 23 on the spring-forward
    day: its file holds 92 values, 00:00-01:45 then 03:00 onwards, so from the gap hour on the
    values belong one hour later; the hour that does not exist stays null. Nothing is shifted.
    Lines that cannot be trusted carry a `quarantine_reason` instead of being dropped. -#}

{%- set gap = var('dst_gap_hour') -%}

with traffic as (

    select * from {{ ref('stg_netmob__traffic') }}

),

study_days as (

    select
        day::date as traffic_date,
        date_diff(
            'hour',
            timezone('{{ var("timezone") }}', day::timestamp),
            timezone('{{ var("timezone") }}', (day + interval 1 day)::timestamp)
        ) as local_day_hours
    from range(date '{{ var("study_start") }}', date '{{ var("study_end") }}' + interval 1 day, interval 1 day) as days(day)

),

checked as (

    select
        traffic.*,
        study_days.local_day_hours,
        least({% for i in range(1, 97) %}v{{ '%02d' % i }}{{ ', ' if not loop.last }}{% endfor %}) as min_value
    from traffic
    left join study_days using (traffic_date)

),

hours as (

    select
        city,
        service,
        traffic_date,
        tile_id,
        local_day_hours,
        n_values,
        min_value,
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
    from checked

),

final as (

    select
        * exclude (min_value),
        case
            when local_day_hours is null then 'date outside the study period'
            when n_values <> 4 * local_day_hours
                then 'expected ' || 4 * local_day_hours || ' quarter-hour values, found ' || n_values
            when {% for h in range(24) %}{{ 'h%02d is null' % h if h != gap else '(h%02d is null and local_day_hours <> 23)' % h }}{{ ' or ' if not loop.last }}{% endfor %}
                then 'empty quarter-hour value'
            when min_value < 0 then 'negative traffic value'
        end as quarantine_reason
    from hours

)

select * from final
