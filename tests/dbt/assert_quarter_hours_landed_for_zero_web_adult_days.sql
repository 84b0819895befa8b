{#- The study's rule reads the quarter-hours of the `zero_web_adult_days`, landed with the tile-day
    table at load time: a day of that list loaded before it was listed has none, and would be
    silently read by the hour. Fails with the files concerned; mend with
    `dbt build --full-refresh --select int_traffic__tile_day_hours+`. -#}

{{ config(severity='error') }}

with tile_days as (

    select * from {{ ref('int_traffic__tile_day_hours') }}

),

final as (

    select
        source_file,
        count(*) as n_lines_without_quarter_hours,
        'quarter-hours of a zero_web_adult_days day were not landed: run dbt build --full-refresh --select int_traffic__tile_day_hours+' as message
    from tile_days
    where {{ in_dates('traffic_date', var('zero_web_adult_days')) }}
      and quarter_hours is null
      and quarantine_reason is null
    group by source_file

)

select * from final
