{#- One row per department: INSEE average annual unemployment rate 2022, percent turned into a share. -#}

with source as (

    select * from {{ source('insee', 'chomage_departements') }}

),

final as (

    select
        trim(Code) as department_code,
        trim("Libellé") as department_name,
        nullif(trim("Taux de chômage annuel moyen 2022"), 'N/A - résultat non disponible')::double / 100
            as unemployment_rate_2022
    from source

)

select * from final
