{#- One row per city, service, day and tile: the raw quarter-hour volumes, typed, with the
    file's city, service and date parsed from its path. Values stay in file order (v01 = the
    first quarter-hour of the local day; v97, null on a good line, catches one value too many),
    as BIGINT when the volumes are whole numbers, else DOUBLE (var traffic_value_type);
    int_traffic__tile_day_hours maps them to local hours and checks the count.
    The path is parsed once per file (the `files` CTE, from the same globs) and
    joined on the file name: parsing it on every line costs more than reading the numbers. -#}

{%- set patterns = traffic_file_patterns() %}
{%- set value_type = traffic_value_type().parse %}

with source as (

    {#- A 97th column is declared so that a line with one value too many is read and quarantined
        (null on every good line); a line with more stops the build with DuckDB's error, which
        names the file and the line. -#}
    select *
    from read_csv(
        [{{ patterns | join(', ') }}],
        delim=' ', header=false, auto_detect=false, null_padding=true, filename=true, parallel=true,
        columns=struct_pack(
            tile_id := 'BIGINT',
            {% for i in range(1, 98) -%}
            v{{ '%02d' % i }} := '{{ value_type }}'{{ ',' if not loop.last }}
            {% endfor %}
        )
    )

),

files as (

    select
        file as source_file,
        string_split(replace(file, '\', '/'), '/') as path_parts
    from glob([{{ patterns | join(', ') }}])

),

file_keys as (

    select
        source_file,
        path_parts[-4] as city,
        path_parts[-3] as service,
        strptime(path_parts[-2], '%Y%m%d')::date as traffic_date
    from files

),

renamed as (

    select
        filename as source_file,
        tile_id,
        {% for i in range(1, 98) -%}
        v{{ '%02d' % i }}{{ ',' if not loop.last }}
        {% endfor %}
    from source

),

final as (

    select
        file_keys.city,
        file_keys.service,
        file_keys.traffic_date,
        renamed.* exclude (source_file),
        renamed.source_file
    from renamed
    inner join file_keys using (source_file)

)

select * from final
