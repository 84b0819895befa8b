{#- One row per commune polygon (municipal districts of Paris, Lyon and Marseille in place of their
    city, as the study treats them): the kept features of base_ign__communes and
    base_ign__municipal_districts (a district takes its city's EPCI), geometry in WGS84, a polygon
    repaired by ST_MakeValid flagged. The features set aside are listed in
    int_small_inputs__quarantine. -#}

with communes as (

    select * from {{ ref('base_ign__communes') }}
    where is_kept

),

districts as (

    select * from {{ ref('base_ign__municipal_districts') }}
    where is_kept

),

commune_rows as (

    select
        commune_code,
        commune_name,
        department_code,
        epci_code,
        population,
        false as is_municipal_district,
        null::varchar as parent_commune_code,
        is_code_repaired,
        commune_geom,
        is_geom_repaired
    from communes

),

district_rows as (

    select
        districts.commune_code,
        districts.commune_name,
        left(districts.commune_code, 2) as department_code,
        communes.epci_code,
        districts.population,
        true as is_municipal_district,
        districts.parent_commune_code,
        districts.is_code_repaired,
        districts.commune_geom,
        districts.is_geom_repaired
    from districts
    left join communes
        on communes.commune_code = districts.parent_commune_code

),

final as (

    select * from commune_rows
    where commune_code not in (select parent_commune_code from district_rows)
    union all
    select * from district_rows

)

select * from final
