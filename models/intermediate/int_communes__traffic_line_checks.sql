{#- One row per commune whose tiles had traffic lines set aside: how many lines were read but not
    trusted (quarantined) or absent from their file, over every loaded file, the share of the
    lines its files should hold, and why. commune_summary carries these so that a commune whose
    totals rest on incomplete files is flagged where it is read. -#}

with set_aside as (

    select * from {{ ref('int_traffic__set_aside_lines') }}

),

tiles as (

    select * from {{ duckdb_computed('int_tiles__communes') }}
    where is_assigned

),

files as (

    select city, count(*) as n_files
    from (select distinct city, service, traffic_date from {{ ref('int_traffic__commune_day_hours') }})
    group by city

),

expected as (

    {#- Lines the loaded files should hold for each commune: its tiles x the files of its city. -#}
    select tiles.commune_code, count(*) * any_value(files.n_files) as n_lines_expected
    from tiles
    inner join files using (city)
    group by tiles.commune_code

),

counted as (

    select
        tiles.commune_code,
        count(*) as n_lines_set_aside,
        count(*) filter (where set_aside.reason = 'tile absent from file') as n_lines_absent,
        {{ distinct_string_agg('set_aside.reason', "'; '") }} as set_aside_reasons
    from set_aside
    inner join tiles
        on tiles.city = set_aside.city
       and tiles.tile_id = set_aside.tile_id
    group by tiles.commune_code

),

final as (

    select
        counted.commune_code,
        counted.n_lines_set_aside,
        counted.n_lines_absent,
        counted.n_lines_set_aside / expected.n_lines_expected as share_lines_set_aside,
        counted.set_aside_reasons
    from counted
    inner join expected using (commune_code)

)

select * from final
