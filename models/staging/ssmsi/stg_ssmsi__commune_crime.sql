{#- One row per commune, year and indicator of the SSMSI file: renamed, decimal comma read, year on 4 digits. -#}

with source as (

    select * from {{ source('ssmsi', 'delinquance_communes') }}

),

cleaned as (

    select
        *,
        nullif(nullif(trim(faits), ''), 'NA') as faits_text,
        nullif(nullif(trim(tauxpourmille), ''), 'NA') as taux_text,
        nullif(nullif(trim(complementinfoval), ''), 'NA') as fallback_count_text,
        nullif(nullif(trim(complementinfotaux), ''), 'NA') as fallback_rate_text
    from source

),

final as (

    select
        {{ commune_code('CODGEO_2023') }} as commune_code,
        (2000 + annee::integer)::integer as year,
        trim(classe) as indicator,
        trim("unité.de.compte") as count_unit,
        trim("valeur.publiée") = 'diff' as is_published,
        replace(faits_text, ',', '.')::double::bigint as incident_count,
        replace(taux_text, ',', '.')::double as rate_per_1000,
        replace(fallback_count_text, ',', '.')::double as fallback_incident_count,
        replace(fallback_rate_text, ',', '.')::double as fallback_rate_per_1000,
        replace(POP, ',', '.')::double::bigint as population,
        (2000 + millPOP::integer)::integer as population_year,
        replace(LOG, ',', '.')::double::bigint as housing_count,
        (2000 + millLOG::integer)::integer as housing_year
    from cleaned

)

select * from final
