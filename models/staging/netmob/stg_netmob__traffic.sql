{#- One row per city, service, day and tile: the raw quarter-hour volumes, typed, with the
    file's city, service and date parsed from its path. Values stay in file order (v01 = the
    first quarter-hour of the local day); int_traffic__tile_day_hours maps them to local hours.
    n_values is the position of the last value on the line (an empty field inside the line is
    caught downstream as an empty quarter-hour). -#}

with source as (

    select * from {{ source('netmob', 'traffic') }}

),

renamed as (

    select
        string_split(replace(filename, '\', '/'), '/') as path_parts,
        filename as source_file,
        tile_id,
        {% for i in range(1, 97) -%}
        v{{ '%02d' % i }},
        {% endfor -%}
        case
            {% for i in range(96, 0, -1) -%}
            when v{{ '%02d' % i }} is not null then {{ i }}
            {% endfor -%}
            else 0
        end as n_values
    from source

),

final as (

    select
        path_parts[-4] as city,
        path_parts[-3] as service,
        strptime(path_parts[-2], '%Y%m%d')::date as traffic_date,
        tile_id,
        n_values,
        {% for i in range(1, 97) -%}
        v{{ '%02d' % i }},
        {% endfor -%}
        source_file
    from renamed

)

select * from final
