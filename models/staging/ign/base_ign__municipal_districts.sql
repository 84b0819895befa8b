{{ config(materialized="table") }}
{#- One row per feature of the municipal-district layer (ADMIN-EXPRESS ARRONDISSEMENT_MUNICIPAL:
    the districts of Paris, Lyon and Marseille), numbered in file order, checked as
    base_ign__communes checks the communes (polygon rule of macros/geometry_checks.sql, malformed
    district or city code, duplicate district code: the first usable feature kept). No rows when the
    layer is absent (the cities then stay whole). The field names are var `district_fields`. -#}

{%- set districts_file = source_path('ign', 'municipal_districts', required=false) -%}
{%- set d = var('district_fields') %}

{% if districts_file %}
with source as (

    select row_number() over () as feature_number, *
    from {{ read_geo(districts_file, 'arrondissement_municipal', d.name) }}

),

renamed as (

    select
        feature_number,
        trim({{ d.code }}::varchar) as commune_code_raw,
        {{ commune_code(d.code) }} as commune_code,
        {{ d.name }}::varchar as commune_name,
        {{ d.population }}::bigint as population,
        {{ commune_code(d.parent) }} as parent_commune_code,
        length(trim({{ d.code }}::varchar)) < 5 as is_code_repaired,
        {{ to_wgs84('geom') }} as geom
    from source

),
{% else %}
with renamed as (

    select
        null::bigint as feature_number,
        null::varchar as commune_code_raw,
        null::varchar as commune_code,
        null::varchar as commune_name,
        null::bigint as population,
        null::varchar as parent_commune_code,
        null::boolean as is_code_repaired,
        null::geometry as geom
    where false

),
{% endif %}

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
        not {{ is_valid_commune_code('commune_code') }} as is_code_malformed,
        not {{ is_valid_commune_code('parent_commune_code') }} as is_parent_code_malformed
    from repaired

),

own_reasons as (

    select
        *,
        nullif(concat_ws('; ',
            case when is_code_malformed then 'malformed commune code' end,
            case when is_parent_code_malformed then 'malformed parent commune code' end,
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
        {{ sql_quote(districts_file) }} as source_file,
        commune_code_raw,
        commune_code,
        commune_name,
        population,
        parent_commune_code,
        is_code_repaired,
        case when polygon_rejection is null then usable_geom end as commune_geom,
        geom_state = 'invalid' and polygon_rejection is null as is_geom_repaired,
        rejection_reason,
        is_kept
    from kept

)

select * from final
