{#- One row per commune polygon (municipal districts of Paris, Lyon and Marseille in place of their
    city, as the study treats them): ADMIN-EXPRESS fields renamed, geometry in WGS84. -#}

{%- set lineage = source('ign', 'communes') -%}
{%- set communes_file = input_path('communes_path', ['communes/COMMUNE.shp', 'communes/*.gpkg', 'communes/communes.geojson']) -%}
{%- set districts_file = input_path('districts_path', ['communes/ARRONDISSEMENT_MUNICIPAL.shp', 'communes/*.gpkg'], required=false) %}

with communes_layer as (

    select * from {{ read_geo(communes_file, 'commune') }}

),

{% if districts_file %}
districts_layer as (

    select * from {{ read_geo(districts_file, 'arrondissement_municipal') }}

),
{% endif %}

commune_rows as (

    select
        {{ commune_code('INSEE_COM') }} as commune_code,
        NOM::varchar as commune_name,
        {{ department_code('INSEE_DEP::varchar') }} as department_code,
        SIREN_EPCI::varchar as epci_code,
        POPULATION::bigint as population,
        false as is_municipal_district,
        null::varchar as parent_commune_code,
        length(trim(INSEE_COM::varchar)) < 5 as is_code_repaired,
        {{ to_wgs84('geom') }} as commune_geom
    from communes_layer

),

district_rows as (

    {% if districts_file %}
    select
        {{ commune_code('districts_layer.INSEE_ARM') }} as commune_code,
        districts_layer.NOM::varchar as commune_name,
        left({{ commune_code('districts_layer.INSEE_ARM') }}, 2) as department_code,
        commune_rows.epci_code,
        districts_layer.POPULATION::bigint as population,
        true as is_municipal_district,
        {{ commune_code('districts_layer.INSEE_COM') }} as parent_commune_code,
        length(trim(districts_layer.INSEE_ARM::varchar)) < 5 as is_code_repaired,
        {{ to_wgs84('districts_layer.geom') }} as commune_geom
    from districts_layer
    left join commune_rows
        on commune_rows.commune_code = {{ commune_code('districts_layer.INSEE_COM') }}
    {% else %}
    select * from commune_rows where false
    {% endif %}

),

final as (

    select * from commune_rows
    where commune_code not in (select parent_commune_code from district_rows)
    union all
    select * from district_rows

)

select * from final
