{#- One row per EPCI (intercommunality): INSEE poverty rate 2020, percent turned into a share. -#}

with source as (

    select * from {{ source('insee', 'pauvrete_epci') }}

),

final as (

    select
        trim(Code) as epci_code,
        trim("Libellé") as epci_name,
        nullif(trim("Taux de pauvreté 2020"), 'N/A - résultat non disponible')::double / 100 as poverty_rate_2020
    from source

)

select * from final
