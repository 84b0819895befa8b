{{ config(materialized='ephemeral') }}
{#- One row per line of the NetMob download files the run reads: its `tile_id` and the raw
    quarter-hour volumes, typed, with the file's path. Ephemeral: compiled into the tile-day table
    with the list of files to read (new or changed ones, traffic_files_to_read) and how to read each:
    directly as BIGINT or DOUBLE (var traffic_value_type), or, for a file holding a character that
    DuckDB's cast would silently accept (`12.5`, `1e-05`, `0x1F`, `1_000`), as text checked token by
    token, the line carrying `token_problem` (the file scan base_netmob__traffic_files decides).
    Values stay in file order (v01 = the first quarter-hour of the local day; v97, null on a good
    line, catches one value too many); int_traffic__tile_day_hours maps them to local hours and
    checks the count. The file's city, service and date are not repeated on every line: they are
    attributes of the file (traffic_file_stamps, landed in the load ledger int_traffic__loaded_files),
    joined on `source_file` downstream. -#}

-- depends_on: {{ ref('base_netmob__traffic_files') }}

{%- set files = traffic_files_to_read(traffic_load_ledger()) %}
{%- set value_type = traffic_value_type().parse %}

with source as (

    {#- A 97th column is declared so that a line with one value too many is read and quarantined
        (null on every good line); a line with more stops the build with an error naming the file
        (macro read_traffic_text: DuckDB's read_csv, or Spark's text reader). -#}
    {{ read_traffic_text(traffic_file_patterns(), files, value_type) }}

),

final as (

    select
        filename as source_file,
        tile_id,
        {% for i in range(1, 98) -%}
        v{{ '%02d' % i }},
        {% endfor -%}
        token_problem
    from source

)

select * from final
