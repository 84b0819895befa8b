{#- Warns with one row per feature of the commune or district file that was set aside (malformed or
    duplicate code, null, empty or unrepairable polygon; listed in int_small_inputs__quarantine) or
    whose polygon was repaired by ST_MakeValid (flagged in stg_ign__communes and commune_summary).
    Names the file, the feature and its code. -#}

{{ config(severity='warn', store_failures=true) }}

with features as (

    select source_file, feature_number, commune_code_raw, rejection_reason, is_geom_repaired
    from {{ ref('base_ign__communes') }}
    where not is_kept or is_geom_repaired
    union all
    select source_file, feature_number, commune_code_raw, rejection_reason, is_geom_repaired
    from {{ ref('base_ign__municipal_districts') }}
    where not is_kept or is_geom_repaired

),

final as (

    select
        source_file,
        feature_number,
        commune_code_raw,
        source_file || ', feature ' || feature_number || ' (code ' || coalesce(commune_code_raw, 'none') || '): '
            || coalesce('set aside, ' || rejection_reason, 'polygon repaired by ST_MakeValid') as message
    from features

)

select * from final
