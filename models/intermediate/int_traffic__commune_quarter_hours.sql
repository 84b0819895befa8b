{{ config(**traffic_incremental_config(['service', 'traffic_date'])) }}
{#- One row per city, commune, service, day of the zero-Web_Adult rule (var zero_web_adult_days)
    and value position in the file (1-96): the quarter-hour download volume summed over the
    commune's tiles, the grain at which the study's rule acts (its notebook removed the commune x
    quarter-hour rows whose Web_Adult sum is 0). Positions are kept as in the file: on the
    spring-forward day positions 93-96 do not exist (volume null); int_traffic__commune_hours
    labels them. Lines that cannot be trusted are not summed, as in int_traffic__commune_day_hours;
    tiles outside every commune are left out. Incremental by service and day (a commune reached
    by two grids sums two cities' files under `commune_scope: all`): only the days whose files are
    new or were reloaded are summed, and everything again when the crosswalk changed
    (traffic_incremental_sums). -#}

{%- set key = ['service', 'traffic_date'] %}
{%- set positions = [] %}{% for i in range(1, 97) %}{% do positions.append('q%02d' % i) %}{% endfor %}

with signatures as (

    {{ traffic_files_signatures(key) }}

),

files as (

    select ledger.*, signatures.files_signature
    from {{ ref('int_traffic__loaded_files') }} as ledger
    inner join signatures using ({{ key | join(', ') }})
    where {{ in_dates('ledger.traffic_date', var('zero_web_adult_days')) }}
      and {{ traffic_keys_to_build(this, key) }}

),

tile_days as (

    select files.city, files.service, files.traffic_date, files.local_day_hours, files.files_signature, tile_days.*
    from {{ ref('int_traffic__tile_day_hours') }} as tile_days
    inner join files using (source_file)
    where tile_days.quarantine_reason is null

),

tiles as (

    select * from {{ duckdb_computed('int_tiles__communes') }}
    where is_assigned

),

summed as (

    {#- 96 positional sums (one aggregate per list element) rather than unnesting every tile's list. -#}
    select
        coalesce(tiles.commune_city, tile_days.city) as city,
        tiles.commune_code,
        tile_days.service,
        tile_days.traffic_date,
        any_value(tile_days.local_day_hours) as local_day_hours,
        any_value(tile_days.files_signature) as files_signature,
        {{ traffic_grid_signature() }} as grid_signature,
        {% for i in range(1, 97) -%}
        {{ volume_sum(list_item('tile_days.quarter_hours', i)) }} as q{{ '%02d' % i }}{{ ',' if not loop.last }}
        {% endfor %}
    from tile_days
    inner join tiles
        on tiles.city = tile_days.city
       and tiles.tile_id = tile_days.tile_id
    group by all

),

long as (

    {{ unpivot_columns('summed', positions, 'position_label', 'dl_volume') }}

),

final as (

    select
        city,
        commune_code,
        service,
        traffic_date,
        local_day_hours,
        substr(position_label, 2)::integer as value_position,
        dl_volume,
        files_signature,
        grid_signature
    from long

)

select * from final
