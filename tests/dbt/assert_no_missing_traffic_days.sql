{#- Every city present in the data has, for every service, a file for every study day the
    processing profile keeps (every day under the study's rule, the days outside the anomaly_days
    seed under drop_days): a missing file is an error, listed by city, service and date. An empty
    (0-byte) file stops the build earlier, at compile time, with its own message. -#}

{{ config(store_failures=true) }}

{#- The seed is a dependency under every profile, so that the graph does not change with the
    anomaly rule (an in-process re-analysis keeps the parsed graph: netmob_tor.session). -#}
-- depends_on: {{ ref('anomaly_days') }}

with loaded as (

    select distinct city, service, traffic_date
    from {{ ref('int_traffic__commune_day_hours') }}

),

cities as (

    select distinct city from loaded

),

services as (

    select unnest({{ var('services') }}) as service

),

days as (

    select day::date as traffic_date
    from range(date '{{ var("study_start") }}', date '{{ var("study_end") }}' + interval 1 day, interval 1 day) as t(day)

),

expected as (

    select cities.city, services.service, days.traffic_date
    from cities cross join services cross join days
    {%- if processing_choice('anomaly_rule') == 'drop_days' %}
    where not exists (
        select 1 from ({{ anomaly_days() }}) as a
        where a.anomaly_date = days.traffic_date and a.city in ('*', cities.city)
    )
    {%- endif %}

),

final as (

    select
        expected.*,
        'no ' || expected.service || ' file for ' || expected.city || ' on ' || expected.traffic_date
            || ' (expected under data_root as <City>/<Service>/<YYYYMMDD>/)' as message
    from expected
    left join loaded using (city, service, traffic_date)
    where loaded.city is null

)

select * from final
