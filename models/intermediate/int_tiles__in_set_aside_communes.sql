{#- One row per city and grid tile outside every commune whose centroid lies in a commune polygon
    set aside for its code (malformed, or a duplicate of a feature kept): the traffic that polygon
    would have received is counted outside every commune (city_tile_coverage), and this says why.
    Only the polygons the crosswalk would have matched are used (var `commune_scope`: under `study`,
    a code the seed lists for the tile's city). A polygon set aside for its geometry has none to
    match. -#}

{%- set scope = commune_scope() %}

with tiles as (

    select * from {{ ref('stg_netmob__tiles') }}

),

crosswalk as (

    select * from {{ ref('int_tiles__communes') }}
    where not is_assigned

),

set_aside as (

    select commune_code, commune_code_raw, source_file, feature_number, rejection_reason, commune_geom
    from {{ ref('base_ign__communes') }}
    where not is_kept and commune_geom is not null
    union all
    select commune_code, commune_code_raw, source_file, feature_number, rejection_reason, commune_geom
    from {{ ref('base_ign__municipal_districts') }}
    where not is_kept and commune_geom is not null

),

candidates as (

    {%- if scope == 'study' %}
    select set_aside.*, study_communes.city
    from set_aside
    inner join {{ ref('study_communes') }} as study_communes using (commune_code)
    {%- else %}
    select set_aside.*, null::varchar as city
    from set_aside
    {%- endif %}

),

containing as (

    select
        tiles.city,
        tiles.tile_id,
        candidates.commune_code_raw,
        candidates.source_file,
        candidates.feature_number,
        candidates.rejection_reason
    from crosswalk
    inner join tiles
        on tiles.city = crosswalk.city
       and tiles.tile_id = crosswalk.tile_id
    inner join candidates
        on ST_Contains(candidates.commune_geom, tiles.centroid_geom)
       and coalesce(candidates.city, tiles.city) = tiles.city

),

final as (

    {#- A tile in two set-aside polygons (a duplicate over its twin) is one row. -#}
    select
        city,
        tile_id,
        min(commune_code_raw) as commune_code_raw,
        {{ distinct_string_agg('rejection_reason', "'; '") }} as rejection_reasons
    from containing
    group by city, tile_id

)

select * from final
