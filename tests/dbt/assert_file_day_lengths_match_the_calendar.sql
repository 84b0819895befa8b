{#- The day length the raw read used for each file (worked out at compile time by the macro
    local_day_hours, with Python's time-zone rules) equals DuckDB's own calendar arithmetic in the
    `timezone` var: a second implementation, so that the DST day cannot drift silently. -#}

{{ config(severity='error') }}

with files as (

    select * from {{ ref('int_traffic__loaded_files') }}
    where local_day_hours is not null

),

final as (

    select
        source_file,
        traffic_date,
        local_day_hours,
        date_diff(
            'hour',
            timezone('{{ var("timezone") }}', traffic_date::timestamp),
            timezone('{{ var("timezone") }}', (traffic_date + interval 1 day)::timestamp)
        ) as calendar_hours
    from files

)

select * from final
where local_day_hours <> calendar_hours
