{#- One row per line of a NetMob download file: its `tile_id` and the raw quarter-hour volumes,
    typed, with the file's path. Values stay in file order (v01 = the first quarter-hour of the
    local day; v97, null on a good line, catches one value too many), as BIGINT when the volumes
    are whole numbers, else DOUBLE (var traffic_value_type); int_traffic__tile_day_hours maps them
    to local hours and checks the count. The file's city, service and date are not repeated on
    every line: they are attributes of the file (traffic_file_stamps, landed in the load ledger
    int_traffic__loaded_files), joined on `source_file` downstream. -#}

{%- set patterns = traffic_file_patterns() %}
{%- set value_type = traffic_value_type().parse %}

with source as (

    {#- A 97th column is declared so that a line with one value too many is read and quarantined
        (null on every good line); a line with more stops the build with an error naming the file
        (macro read_traffic_text: DuckDB's read_csv, or Spark's text reader). -#}
    {{ read_traffic_text(patterns, value_type) }}

),

final as (

    select
        filename as source_file,
        tile_id,
        {% for i in range(1, 98) -%}
        v{{ '%02d' % i }}{{ ',' if not loop.last }}
        {% endfor %}
    from source

)

select * from final
