{#- One row per city and tile: the commune whose polygon contains the tile's centroid (the study's
    rule), or null for a tile outside every candidate commune. Such tiles are kept and counted
    (city_tile_coverage). The candidates follow var `commune_scope`: under `study`, a city's tiles
    are matched only against the communes the seed study_communes lists for that city, as the
    study assigned them; under `all`, against every commune of the supplied file. -#}

{%- set scope = commune_scope() %}

with tiles as (

    select * from {{ ref('stg_netmob__tiles') }}

),

communes as (

    select * from {{ ref('stg_ign__communes') }}

),

study_communes as (

    select * from {{ ref('study_communes') }}

),

candidates as (

    {%- if scope == 'study' %}
    select communes.commune_code, communes.commune_geom, study_communes.city
    from communes
    inner join study_communes using (commune_code)
    {%- else %}
    select commune_code, commune_geom, null::varchar as city
    from communes
    {%- endif %}

),

containing as (

    select
        tiles.city,
        tiles.tile_id,
        candidates.commune_code
    from tiles
    left join candidates
        on ST_Contains(candidates.commune_geom, tiles.centroid_geom)
       and coalesce(candidates.city, tiles.city) = tiles.city

),

assigned as (

    select
        city,
        tile_id,
        min(commune_code) as commune_code,
        count(commune_code) as n_containing_communes,
        min(commune_code) is not null as is_assigned
    from containing
    group by city, tile_id

),

{#- The urban area each commune belongs to: the city holding most of its tiles (ties: alphabetical).
    Under `study` that is always the tile's own city; under `all` a commune reached by two grids
    (e.g. Lyon and Saint-Étienne) gets one city, and the traffic of both grids' tiles in it is
    summed under that city downstream (flagged by n_commune_cities > 1 in commune_summary). -#}
tiles_per_commune_city as (

    select commune_code, city, count(*) as n_tiles
    from assigned
    where is_assigned
    group by commune_code, city

),

commune_cities as (

    select
        commune_code,
        (list(city order by n_tiles desc, city asc))[1] as commune_city,
        count(*) as n_commune_cities
    from tiles_per_commune_city
    group by commune_code

),

final as (

    select
        assigned.*,
        commune_cities.commune_city,
        commune_cities.n_commune_cities
    from assigned
    left join commune_cities using (commune_code)

)

select * from final
