{{ config(**traffic_incremental_config()) }}
{#- One row per raw file and tile (a file is one city, service and day): the quarter-hours summed
    to the 24 local hours while the data is still wide (before any unpivot). This is the only
    model that reads the raw traffic text; everything downstream (communes, top tiles, tile series) reads this table, so the files
    are parsed once. Every day is landed, anomaly days included: which days to drop is a choice
    made downstream (the processing profile) and can change without re-reading the text. In an
    incremental run, files already loaded are pruned as whole files; a file whose size,
    modification time or signature (traffic_file_stamps) differs from the load ledger
    (int_traffic__loaded_files, written after this table) is read again and replaces its rows, and
    the rows of a file no longer there are deleted (pre-hook). Only what varies by line is landed:
    the file's city, service, date and day length are the ledger's, joined on `source_file`
    downstream (writing them on every line cost a fifth of the load). A change of the landed
    value type (var traffic_value_type) stops an incremental run with dbt's schema message:
    rebuild with --full-refresh (sync_all_columns was tried: DuckDB refuses the insert that follows
    the column alteration in the same run).
    A local day has 24 hours, 23 on the spring-forward day: its file holds 92 values,
    00:00-01:45 then 03:00 onwards, so from the gap hour on the values belong one hour later; the
    hour that does not exist stays null. Nothing is shifted. The day length is the file's, known
    at compile time (traffic_file_case), so no line joins a calendar. Lines that cannot be trusted
    carry a `quarantine_reason` instead of being dropped. -#}

-- depends_on: {{ ref('base_netmob__traffic_files') }}

{%- set gap = var('dst_gap_hour') %}
{%- set files = traffic_files_to_read(traffic_load_ledger()) %}
{%- set land = traffic_value_type().land %}
{%- set quarter_columns = [] %}{% for i in range(1, 97) %}{% do quarter_columns.append('v%02d' % i) %}{% endfor %}

with traffic as (

    select * from {{ ref('stg_netmob__traffic') }}
    where {{ traffic_file_filter(files) }}

),

dated as (

    {#- The file's day length (null outside the study period) and whether its quarter-hours are
        landed, from the file list: a CASE on the path, no join. -#}
    select
        *,
        {{ traffic_file_case(files, 'local_day_hours') }} as local_day_hours,
        {{ traffic_file_case(files, 'quarter_hours') }} as has_quarter_hours
    from traffic

),

hours as (

    select
        dated.*,
        {#- try(): a sum past the type's range gives null, not an error without a file name; the
            line is then stopped below, naming its file and tile. -#}
        {% for h in range(24) -%}
        {%- set normal = [] -%}{%- for q in range(1, 5) -%}{%- do normal.append('v%02d' % (4 * h + q)) -%}{%- endfor -%}
        {%- if h < gap -%}
        {{ checked_sum(normal) }} as h{{ '%02d' % h }},
        {%- else -%}
        {%- set shifted = [] -%}{%- for q in range(1, 5) -%}{%- do shifted.append('v%02d' % (4 * (h - 1) + q)) -%}{%- endfor %}
        case
            when dated.local_day_hours = 23 then {{ 'null' if h == gap else checked_sum(shifted) }}
            else {{ checked_sum(normal) }}
        end as h{{ '%02d' % h }},
        {%- endif %}
        {% endfor -%}
        {#- The quarter-hours themselves, in file order, on the days the zero-Web_Adult rule can
            act on (var zero_web_adult_days): that rule works at quarter-hour level. -#}
        case
            when dated.has_quarter_hours
                then {{ list_of(quarter_columns) }}  -- noqa: LT05
        end as quarter_hours
    from dated

),

daily as (

    {#- The day's total; null if any value of the day is empty (null propagates through +), or if a
        sum passes the type's range. -#}
    select
        *,
        case
            {%- set hours_23, hours_24 = [], [] %}
            {%- for h in range(24) %}{% do hours_24.append('h%02d' % h) %}{% if h != gap %}{% do hours_23.append('h%02d' % h) %}{% endif %}{% endfor %}  -- noqa: LT05
            when local_day_hours = 23
                then {{ checked_sum(hours_23) }}  -- noqa: LT05
            else {{ checked_sum(hours_24) }}  -- noqa: LT05
        end as daily_dl
    from hours

),

checked as (

    {#- Cheap tests first; the count of values on a bad line is worked out only for that line. -#}
    select
        *,
        case
            when token_problem is not null then token_problem
            when local_day_hours is null then 'date outside the study period'
            when case local_day_hours
                    when 23 then v92 is null or v93 is not null
                    when 24 then v96 is null or v97 is not null
                    else true
                 end
                then 'expected ' || 4 * local_day_hours || ' quarter-hour values, found '
                    || case
                        {% for i in range(97, 0, -1) -%}
                        when v{{ '%02d' % i }} is not null then {{ i }}
                        {% endfor -%}
                        else 0
                    end
            when daily_dl is null
                then case
                    when {% for i in range(1, 93) %}v{{ '%02d' % i }} is null or {% endfor %}(local_day_hours = 24 and (v93 is null or v94 is null or v95 is null or v96 is null))  -- noqa: LT05
                        then 'empty quarter-hour value'
                    else {{ raise_error("'traffic values too large to add up as " ~ traffic_value_type().parse ~ " in ' || source_file
                        || ', tile ' || tile_id || ': the file is damaged (a quarter-hour of more than 10^17 bytes); replace it with the original'") }}
                end
            -- on the parsed values: no second pass over the text
            when least({% for i in range(1, 97) %}v{{ '%02d' % i }}{{ ', ' if not loop.last }}{% endfor %}) < 0 then 'negative traffic value'  -- noqa: LT05
        end as quarantine_reason
    from daily

),

final as (

    select
        source_file,
        tile_id,
        {#- try_cast: an hour past the INTEGER range never fails here without a name; its day total is
            past it too, and stops the build below naming the file and the tile. -#}
        {% for h in range(24) -%}
        try_cast(h{{ '%02d' % h }} as {{ land }}) as h{{ '%02d' % h }},
        {% endfor -%}
        {% if land == 'INTEGER' -%}
        case
            when daily_dl > 2147483647
                then {{ raise_error("'traffic volume over the INTEGER range (a day total of ' || daily_dl || ') in '
                    || source_file || ', tile ' || tile_id || ': build again with --vars ''{traffic_value_type: bigint}'' --full-refresh'") }}
            else daily_dl
        end as daily_dl,
        {%- else -%}
        daily_dl,
        {%- endif %}
        quarter_hours,
        quarantine_reason
    from checked

)

select * from final
