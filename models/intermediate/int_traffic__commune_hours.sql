{#- One row per city, commune, day and hour of the day as the processing profile labels it: the
    download volumes of the three services summed over the commune's tiles and the hour's kept
    quarter-hours. The processing profile's choices are applied here and nowhere else:
    - anomaly_rule `drop_days`: the whole days of the `anomaly_days` seed are dropped;
      `zero_web_adult`: every day is kept and, on the days of var zero_web_adult_days, the commune x
      quarter-hour rows whose commune Web_Adult is 0 are removed from all three services (the
      authors' notebook); an hour whose four quarter-hours are all removed is absent.
    - dst_day_labels `local_time`: the spring-forward day's values sit on their real local hours
      (no hour 2); `position`: labelled by position as the notebook read them (03:00's value under
      02:00 ... 23:00's under 22:00; the label-23 quarter-hours are empty, i.e. 0).
    `real_hour_of_day` is the local hour the values were measured in (null for the empty label). -#}

{%- set anomaly_rule = processing_choice('anomaly_rule') %}
{%- set labels = processing_choice('dst_day_labels') %}
{%- set gap = var('dst_gap_hour') %}
{%- set quarter_days = var('zero_web_adult_days') if anomaly_rule == 'zero_web_adult' else [] %}
{%- set hour_labels = [] %}{% for k in range(24) %}{% do hour_labels.append('l%02d' % k) %}{% endfor %}

with commune_days as (

    {#- rows under the commune's urban area (two grids' rows of a commune summed under one city
        when `commune_scope: all` lets two cities reach it) -#}
    select {{ star_exclude(['city', 'commune_city']) }}, coalesce(commune_city, city) as city
    from {{ ref('int_traffic__commune_day_hours') }}
    where commune_code is not null
      and not {{ in_dates('traffic_date', quarter_days) }}

),

quarter_hours as (

    select * from {{ ref('int_traffic__commune_quarter_hours') }}
    where {{ in_dates('traffic_date', quarter_days) }}

),

anomaly_days as (

    {{ anomaly_days() }}

),

{#- Days the rule reads by the hour: each hour column relabelled for the profile, then one row an hour. -#}
labelled_days as (

    select
        city,
        commune_code,
        service,
        traffic_date,
        local_day_hours,
        {% for k in range(24) -%}
        {%- if labels == 'position' and k >= gap -%}
        case when local_day_hours = 23 then {{ 'h%02d' % (k + 1) if k < 23 else '0' }} else h{{ '%02d' % k }} end as l{{ '%02d' % k }}
        {%- else -%}
        h{{ '%02d' % k }} as l{{ '%02d' % k }}
        {%- endif %}{{ ',' if not loop.last }}
        {% endfor %}
    from commune_days

),

hour_rows as (

    {{ unpivot_columns('labelled_days', hour_labels, 'hour_label', 'dl_volume') }}

),

by_hour as (

    select
        city,
        commune_code,
        service,
        traffic_date,
        local_day_hours,
        substr(hour_label, 2)::integer as hour_of_day,
        dl_volume
    from hour_rows

),

{#- Days the rule reads by the quarter-hour: positions labelled, zero-Web_Adult rows removed. -#}
quarter_labelled as (

    select
        city,
        commune_code,
        service,
        traffic_date,
        local_day_hours,
        {%- if labels == 'position' %}
        {{ int_div('(value_position - 1)', 4) }} as hour_of_day,
        {%- else %}
        case
            when local_day_hours = 23 and value_position > 4 * {{ gap }} then {{ int_div('(value_position - 1)', 4) }} + 1
            else {{ int_div('(value_position - 1)', 4) }}
        end as hour_of_day,
        {%- endif %}
        value_position,
        dl_volume
    from quarter_hours

),

quarter_wide as (

    {#- One row per commune x quarter-hour; on the spring-forward day, with position labels, the
        four positions after the last value exist as empty (0) quarter-hours, as in the notebook. -#}
    select
        city,
        commune_code,
        traffic_date,
        local_day_hours,
        hour_of_day,
        value_position,
        {% for service in var('services') -%}
        coalesce(sum(dl_volume) filter (where service = '{{ service }}'), 0) as {{ service | lower }}_dl{{ ',' if not loop.last }}
        {% endfor %}
    from quarter_labelled
    group by all

),

quarter_kept as (

    select * from quarter_wide
    where web_adult_dl <> 0

),

by_quarter as (

    select
        city,
        commune_code,
        traffic_date,
        local_day_hours,
        hour_of_day,
        {% for service in var('services') -%}
        sum({{ service | lower }}_dl) as {{ service | lower }}_dl{{ ',' if not loop.last }}
        {% endfor %}
    from quarter_kept
    group by all

),

hour_wide as (

    select
        city,
        commune_code,
        traffic_date,
        local_day_hours,
        hour_of_day,
        {% for service in var('services') -%}
        sum(dl_volume) filter (where service = '{{ service }}') as {{ service | lower }}_dl{{ ',' if not loop.last }}
        {% endfor %}
    from by_hour
    group by all

),

unioned as (

    select * from hour_wide
    {{ union_all_by_name() }}
    select * from by_quarter

),

kept as (

    select unioned.*
    from unioned
    {%- if anomaly_rule == 'drop_days' %}
    anti join anomaly_days
        on anomaly_days.anomaly_date = unioned.traffic_date
       and anomaly_days.city in ('*', unioned.city)
    {%- endif %}

),

real_hours as (

    select
        kept.*,
        {%- if labels == 'position' %}
        case
            when kept.local_day_hours = 23 and kept.hour_of_day = 23 then null
            when kept.local_day_hours = 23 and kept.hour_of_day >= {{ gap }} then kept.hour_of_day + 1
            else kept.hour_of_day
        end as real_hour_of_day
        {%- else %}
        kept.hour_of_day as real_hour_of_day
        {%- endif %}
    from kept

),

final as (

    select
        city,
        commune_code,
        traffic_date,
        local_day_hours,
        hour_of_day,
        real_hour_of_day,
        {{ local_timestamp('traffic_date', 'hour_of_day') }} as hour_start_local,
        {{ local_to_utc(local_timestamp('traffic_date', 'real_hour_of_day'), var('timezone')) }} as hour_start_utc,
        {{ iso_day_of_week('traffic_date') }} as iso_day_of_week,
        {% for service in var('services') -%}
        {{ service | lower }}_dl{{ ',' if not loop.last }}
        {% endfor %}
    from real_hours

)

select * from final
