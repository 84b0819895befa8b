{#- One row per commune polygon (municipal districts of Paris, Lyon and Marseille in place of their
    city, as the study treats them): the file's properties renamed (their names are vars
    `commune_fields` and `district_fields`, ADMIN-EXPRESS by default), geometry in WGS84. -#}

{%- set communes_file = source_path('ign', 'communes') -%}
{%- set districts_file = source_path('ign', 'municipal_districts', required=false) -%}
{%- set f = var('commune_fields') -%}
{%- set d = var('district_fields') %}

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
        {{ commune_code(f.code) }} as commune_code,
        {{ f.name }}::varchar as commune_name,
        {%- if f.department %}
        {{ department_code(f.department ~ '::varchar') }} as department_code,
        {%- else %}
        left({{ commune_code(f.code) }}, 2) as department_code,
        {%- endif %}
        {{ (f.epci ~ '::varchar') if f.epci else 'null::varchar' }} as epci_code,
        {{ f.population }}::bigint as population,
        false as is_municipal_district,
        null::varchar as parent_commune_code,
        length(trim({{ f.code }}::varchar)) < 5 as is_code_repaired,
        {{ to_wgs84('geom') }} as commune_geom
    from communes_layer

),

district_rows as (

    {% if districts_file %}
    select
        {{ commune_code('districts_layer.' ~ d.code) }} as commune_code,
        districts_layer.{{ d.name }}::varchar as commune_name,
        left({{ commune_code('districts_layer.' ~ d.code) }}, 2) as department_code,
        commune_rows.epci_code,
        districts_layer.{{ d.population }}::bigint as population,
        true as is_municipal_district,
        {{ commune_code('districts_layer.' ~ d.parent) }} as parent_commune_code,
        length(trim(districts_layer.{{ d.code }}::varchar)) < 5 as is_code_repaired,
        {{ to_wgs84('districts_layer.geom') }} as commune_geom
    from districts_layer
    left join commune_rows
        on commune_rows.commune_code = {{ commune_code('districts_layer.' ~ d.parent) }}
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
