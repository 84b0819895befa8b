{#- Under `commune_scope: study`, a study commune of a city present whose every feature in the
    commune file was set aside (null, empty or unrepairable polygon; base_ign__communes and
    base_ign__municipal_districts) would receive no tile: its traffic falls outside every commune
    and its row in commune_summary is empty. The build stops naming the commune, the file, the
    feature and the reason. (A study commune absent from the file altogether is doctor's warning.) -#}

{{ config(severity='error', store_failures=true) }}

{%- set scope = commune_scope() %}

with study as (

    select commune_code, city from {{ ref('study_communes') }}
    where city in (select distinct city from {{ ref('stg_netmob__tiles') }})

),

kept as (

    select commune_code from {{ ref('stg_ign__communes') }}

),

set_aside as (

    select commune_code, source_file, feature_number, rejection_reason from {{ ref('base_ign__communes') }}
    where not is_kept
    union all
    select commune_code, source_file, feature_number, rejection_reason from {{ ref('base_ign__municipal_districts') }}
    where not is_kept

),

final as (

    select
        study.commune_code,
        study.city,
        'study commune ' || study.commune_code || ' of ' || study.city || ' has no usable polygon: '
            || string_agg(set_aside.source_file || ' feature ' || set_aside.feature_number || ' set aside ('
                || set_aside.rejection_reason || ')', '; ' order by set_aside.feature_number)
            || '; its tiles would fall outside every commune: mend its polygon in the commune file' as message
    from study
    inner join set_aside using (commune_code)
    where {{ 'true' if scope == 'study' else 'false' }}
        and study.commune_code not in (select commune_code from kept)
    group by study.commune_code, study.city

)

select * from final
