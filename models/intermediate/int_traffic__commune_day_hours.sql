{{ config(**traffic_incremental_config(['city', 'service', 'traffic_date'])) }}
{#- One row per city, commune (null = tiles outside every commune), service and day: hourly
    download volumes h00..h23 (real local hours) summed over the commune's tiles, still wide. Reads
    the tile-day table (never the raw files). Every day is summed: which days or quarter-hours the
    processing profile keeps is decided downstream (int_traffic__commune_hours), so switching
    profile needs no reload. Lines that cannot be trusted (wrong number of values, negative
    values, a day outside the study period, a tile missing from the grid) are not summed; they
    are listed in `quarantined_lines` and surface in `traffic_quarantine`. Incremental, one file's
    day at a time (a file is one city, service and day): a run sums only the days whose file is
    new or was reloaded, drops those of vanished files, and sums everything again when the
    tile -> commune crosswalk changed (traffic_incremental_sums). `commune_city` is the urban area
    the commune belongs to (int_tiles__communes): the tile's own city, except under
    `commune_scope: all` for a commune reached by two grids, whose rows are summed under it
    downstream. -#}

{%- set key = ['city', 'service', 'traffic_date'] %}

with tile_days as (

    select * from {{ ref('int_traffic__tile_day_hours') }}

),

signatures as (

    {{ traffic_files_signatures(key) }}

),

files as (

    select ledger.*, signatures.files_signature
    from {{ ref('int_traffic__loaded_files') }} as ledger
    inner join signatures using ({{ key | join(', ') }})
    where {{ traffic_keys_to_build(this, key) }}

),

tiles as (

    select * from {{ duckdb_computed('int_tiles__communes') }}

),

located as (

    select
        files.city,
        files.service,
        files.traffic_date,
        files.local_day_hours,
        files.loaded_at,
        files.files_signature,
        tile_days.*,
        tiles.commune_code,
        tiles.commune_city,
        coalesce(
            tile_days.quarantine_reason,
            case when tiles.tile_id is null then 'tile not in the city grid' end
        ) as reason
    from tile_days
    inner join files using (source_file)
    left join tiles
        on tiles.city = files.city
       and tiles.tile_id = tile_days.tile_id

),

final as (

    select
        city,
        commune_code,
        any_value(commune_city) as commune_city,
        service,
        traffic_date,
        any_value(local_day_hours) as local_day_hours,
        max(loaded_at) as loaded_at,
        any_value(files_signature) as files_signature,
        {{ traffic_grid_signature() }} as grid_signature,
        count(*) filter (where reason is null) as n_tiles,
        count(*) filter (where reason is not null) as n_quarantined_lines,
        {{ struct_list_agg({'tile_id': 'tile_id', 'source_file': 'source_file', 'reason': 'reason'}, 'reason is not null') }}
            as quarantined_lines,
        {% for h in range(24) -%}
        {{ volume_sum("h%02d" % h, where='reason is null') }} as h{{ '%02d' % h }}{{ ',' if not loop.last }}
        {% endfor %}
    from located
    group by city, commune_code, service, traffic_date

)

select * from final
