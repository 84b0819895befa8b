{#- Expected row counts per city: commune_summary has exactly the study's communes of each urban
    area present in the data (under `commune_scope: all`, every commune its tiles reach), and commune_hour has every one of them for every kept hour (outside
    the zero-Web_Adult days of the study's rule, where each commune loses its own quarter-hours). -#}

{{ config(store_failures=true) }}

{%- set partial_days = var('zero_web_adult_days') if processing_choice('anomaly_rule') == 'zero_web_adult' else [] %}

with expected as (

    {%- if commune_scope() == 'study' %}
    select city, count(*) as n_expected
    from {{ ref('study_communes') }}
    where city in (select distinct city from {{ ref('int_tiles__communes') }})
    group by city
    {%- else %}
    select commune_city as city, count(distinct commune_code) as n_expected
    from {{ ref('int_tiles__communes') }}
    where is_assigned
    group by commune_city
    {%- endif %}

),

summary as (

    select city, count(*) as n_summary from {{ ref('commune_summary') }} group by city

),

hourly as (

    select city, count(distinct commune_code) as n_hourly,
           count(*) as n_rows,
           count(distinct commune_code) * count(distinct (traffic_date, hour_of_day)) as n_full_grid
    from {{ ref('commune_hour') }}
    where not {{ in_dates('traffic_date', partial_days) }}
    group by city

),

final as (

    select expected.*, summary.n_summary, hourly.n_hourly, hourly.n_rows, hourly.n_full_grid
    from expected
    left join summary using (city)
    left join hourly using (city)
    where summary.n_summary is distinct from expected.n_expected
       or hourly.n_hourly is distinct from expected.n_expected
       or hourly.n_rows <> hourly.n_full_grid

)

select * from final
