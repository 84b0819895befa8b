{#- One row per commune of the sample, with what does not change with the processing profile: under
    `commune_scope: study`, every commune the seed study_communes lists for an urban area present in
    the data; under `all`, every commune that receives tiles (is_study_commune marks the study's). Its
    name, administrative parents, both populations (the study's and the commune file's) and the tiles
    it receives. The estimates (int_communes__estimates) add what a profile changes. -#}

{%- set scope = commune_scope() %}

with study_communes as (

    select * from {{ ref('study_communes') }}

),

communes as (

    select * from {{ duckdb_computed('stg_ign__communes') }}

),

admin as (

    select * from {{ ref('commune_admin') }}

),

tiles as (

    select * from {{ duckdb_computed('int_tiles__communes') }}

),

tile_counts as (

    select
        commune_code,
        count(*) as n_tiles,
        any_value(commune_city) as commune_city,
        any_value(n_commune_cities) as n_commune_cities
    from tiles
    where is_assigned
    group by commune_code

),

sample as (

    {%- if scope == 'study' %}
    select study_communes.commune_code, study_communes.city, study_communes.study_population, true as is_study_commune
    from study_communes
    where study_communes.city in (select distinct tiles.city from tiles)
    {%- else %}
    select
        tile_counts.commune_code,
        tile_counts.commune_city as city,
        study_communes.study_population,
        study_communes.commune_code is not null as is_study_commune
    from tile_counts
    left join study_communes using (commune_code)
    {%- endif %}

),

final as (

    select
        sample.commune_code,
        coalesce(communes.commune_name, admin.commune_name) as commune_name,
        sample.city,
        admin.kind as commune_kind,
        admin.department as department_code,
        admin.region as region_code,
        admin.epci as epci_code,
        sample.study_population,
        communes.population as commune_file_population,
        coalesce(tile_counts.n_tiles, 0) as n_tiles,
        sample.is_study_commune,
        coalesce(tile_counts.n_commune_cities, 0) as n_commune_cities
    from sample
    left join communes using (commune_code)
    left join admin using (commune_code)
    left join tile_counts using (commune_code)

)

select * from final
