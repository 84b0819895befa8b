{#- One row per commune of the 2017 first-round file: registered, voters, blank, void and expressed votes. -#}

with source as (

    select * from {{ source('elections', 'presidentielle_2017_t1_communes') }}

),

final as (

    select
        trim(dep_code) as department_code_raw,
        trim(dep_code) like 'Z%' as is_overseas_or_abroad,
        case
            when trim(dep_code) like 'Z%' then null
            else lpad(trim(dep_code), 2, '0') || lpad(trim(commune_part), 3, '0')
        end as commune_code,
        trim(dep_name) as department_name,
        trim(commune_part) as commune_part_code,
        trim(commune_name) as commune_name,
        inscrits as registered,
        abstentions as abstentions,
        votants as voters,
        blancs as blank_votes,
        nuls as void_votes,
        exprimes as expressed_votes
    from source

)

select * from final
