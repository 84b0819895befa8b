{#- Every (city, service, day) file holds a line for every tile of the city's grid. One row per file
    with absent tiles: their count and the communes they belong to. Var `absent_tile_lines` sets
    the outcome: `warn` (default; the lines are listed in traffic_quarantine as `tile absent from
    file` and commune_summary flags the communes, n_lines_absent) or `error` (the build stops). -#}

{{ config(severity=('error' if var('absent_tile_lines') == 'error' else 'warn'), store_failures=true) }}

with absent as (

    select * from {{ ref('int_traffic__absent_tile_lines') }}

),

final as (

    select
        city,
        service,
        traffic_date,
        source_file,
        count(*) as n_tiles_absent,
        count(*) || ' grid tile(s) absent from ' || source_file || ' (communes '
            || string_agg(distinct coalesce(commune_code, 'outside every commune'), ', ' order by coalesce(commune_code, 'outside every commune'))
            || ')' as message
    from absent
    group by city, service, traffic_date, source_file

)

select * from final
