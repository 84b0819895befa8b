{#- One row per commune polygon, ADMIN-EXPRESS fields renamed and typed. -#}

with source as (

    select * from {{ source('ign', 'communes') }}

),

final as (

    select
        {{ commune_code('INSEE_COM') }} as commune_code,
        NOM::varchar as commune_name,
        INSEE_DEP::varchar as department_code,
        SIREN_EPCI::varchar as epci_code,
        POPULATION::bigint as population,
        geom as commune_geom
    from source

)

select * from final
