{#- One row per commune code whose polygon or tiles needed attention: its polygon repaired by
    ST_MakeValid, features of the commune file with its code set aside (a duplicate, or a null,
    empty or unrepairable polygon), or tiles placed in it by the centroid of a repaired tile
    polygon. commune_summary carries these flags, so that a commune whose tiles rest on a repaired
    or missing polygon is marked where it is read. -#}

with communes as (

    select commune_code, is_geom_repaired from {{ ref('stg_ign__communes') }}

),

set_aside as (

    select commune_code, rejection_reason from {{ ref('base_ign__communes') }}
    where not is_kept and {{ is_valid_commune_code('commune_code') }}
    union all
    select commune_code, rejection_reason from {{ ref('base_ign__municipal_districts') }}
    where not is_kept and {{ is_valid_commune_code('commune_code') }}

),

set_aside_counts as (

    select
        commune_code,
        count(*) as n_commune_polygons_set_aside,
        {{ distinct_string_agg('rejection_reason', "'; '") }} as commune_polygons_set_aside_reasons
    from set_aside
    group by commune_code

),

repaired_tiles as (

    select commune_code, count(*) as n_tiles_geom_repaired
    from {{ ref('int_tiles__geometry_checks') }}
    where is_geom_repaired and is_assigned
    group by commune_code

),

codes as (

    select commune_code from communes where is_geom_repaired
    union
    select commune_code from set_aside_counts
    union
    select commune_code from repaired_tiles

),

final as (

    select
        codes.commune_code,
        coalesce(communes.is_geom_repaired, false) as is_commune_geom_repaired,
        coalesce(set_aside_counts.n_commune_polygons_set_aside, 0) as n_commune_polygons_set_aside,
        set_aside_counts.commune_polygons_set_aside_reasons,
        coalesce(repaired_tiles.n_tiles_geom_repaired, 0) as n_tiles_geom_repaired
    from codes
    left join communes using (commune_code)
    left join set_aside_counts using (commune_code)
    left join repaired_tiles using (commune_code)

)

select * from final
