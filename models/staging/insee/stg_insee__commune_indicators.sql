{#- One row per INSEE commune code: population density 2020 and share of singles aged 15+ 2020 (a share). -#}

with source as (

    select * from {{ source('insee', 'indicateurs_communes') }}

),

final as (

    select
        {{ commune_code('Code') }} as commune_code,
        trim("Libellé") as commune_name,
        nullif(trim("Densité de population (historique depuis 1876) 2020"), 'N/A - résultat non disponible')::double
            as population_density_2020,
        nullif(trim("Part des personnes de 15 ans ou plus célibataires 2020"), 'N/A - résultat non disponible')::double / 100
            as singles_share_2020
    from source

)

select * from final
