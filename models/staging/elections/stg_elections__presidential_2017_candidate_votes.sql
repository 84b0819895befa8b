{#- One row per commune and candidate of the 2017 first round: the 11 repeated column blocks unpivoted. -#}

with source as (

    select * from {{ source('elections', 'presidentielle_2017_t1_communes') }}

),

blocks as (

    select
        trim(dep_code) as department_code_raw,
        trim(commune_part) as commune_part_code,
        unnest([
                {'panel': c01_panneau, 'sex': c01_sexe, 'last_name': c01_nom, 'first_name': c01_prenom, 'votes': c01_voix},
                {'panel': c02_panneau, 'sex': c02_sexe, 'last_name': c02_nom, 'first_name': c02_prenom, 'votes': c02_voix},
                {'panel': c03_panneau, 'sex': c03_sexe, 'last_name': c03_nom, 'first_name': c03_prenom, 'votes': c03_voix},
                {'panel': c04_panneau, 'sex': c04_sexe, 'last_name': c04_nom, 'first_name': c04_prenom, 'votes': c04_voix},
                {'panel': c05_panneau, 'sex': c05_sexe, 'last_name': c05_nom, 'first_name': c05_prenom, 'votes': c05_voix},
                {'panel': c06_panneau, 'sex': c06_sexe, 'last_name': c06_nom, 'first_name': c06_prenom, 'votes': c06_voix},
                {'panel': c07_panneau, 'sex': c07_sexe, 'last_name': c07_nom, 'first_name': c07_prenom, 'votes': c07_voix},
                {'panel': c08_panneau, 'sex': c08_sexe, 'last_name': c08_nom, 'first_name': c08_prenom, 'votes': c08_voix},
                {'panel': c09_panneau, 'sex': c09_sexe, 'last_name': c09_nom, 'first_name': c09_prenom, 'votes': c09_voix},
                {'panel': c10_panneau, 'sex': c10_sexe, 'last_name': c10_nom, 'first_name': c10_prenom, 'votes': c10_voix},
                {'panel': c11_panneau, 'sex': c11_sexe, 'last_name': c11_nom, 'first_name': c11_prenom, 'votes': c11_voix}
        ]) as block
    from source

),

final as (

    select
        department_code_raw,
        case
            when department_code_raw like 'Z%' then null
            else lpad(department_code_raw, 2, '0') || lpad(commune_part_code, 3, '0')
        end as commune_code,
        commune_part_code,
        block.panel::integer as ballot_panel,
        trim(block.sex) as candidate_sex,
        trim(block.last_name) as candidate_last_name,
        trim(block.first_name) as candidate_first_name,
        block.votes::bigint as votes
    from blocks

)

select * from final
