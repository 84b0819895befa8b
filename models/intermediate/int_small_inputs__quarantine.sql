{#- One row per quarantined record of the small inputs (SSMSI, INSEE, elections, Overture, Google
    Trends, CyberTipline, the IGN commune and district polygons): which input, where in the file, its
    key and why it was not loaded. -#}

with ssmsi as (

    select
        'ssmsi_commune_crime' as input_name,
        line_number,
        commune_code_raw || ' ' || coalesce(year::varchar, '?') || ' ' || coalesce(indicator, '?') as record_key,
        rejection_reason
    from {{ ref('base_ssmsi__commune_crime') }}
    where rejection_reason is not null

),

insee_departments as (

    select 'insee_department_unemployment' as input_name, line_number, department_code as record_key, rejection_reason
    from {{ ref('base_insee__department_unemployment') }}
    where rejection_reason is not null

),

insee_epci as (

    select 'insee_epci_poverty' as input_name, line_number, epci_code as record_key, rejection_reason
    from {{ ref('base_insee__epci_poverty') }}
    where rejection_reason is not null

),

insee_communes as (

    select 'insee_commune_indicators' as input_name, line_number, commune_code as record_key, rejection_reason
    from {{ ref('base_insee__commune_indicators') }}
    where rejection_reason is not null

),

elections as (

    select
        'elections_presidential_2017' as input_name,
        line_number,
        coalesce(department_code_raw, '?') || ' ' || coalesce(commune_part_code, '?') as record_key,
        rejection_reason
    from {{ ref('base_elections__presidential_2017_communes') }}
    where rejection_reason is not null

),

places as (

    select 'overture_places' as input_name, file_row_number + 1 as line_number, coalesce(place_id, '?') as record_key, rejection_reason
    from {{ ref('base_overture__places') }}
    where rejection_reason is not null

),

gtrends as (

    select
        'gtrends_region_search_terms' as input_name,
        line_number,
        region_name || ' / ' || search_term_column as record_key,
        rejection_reason
    from {{ ref('base_gtrends__region_search_terms') }}
    where rejection_reason is not null

),

cybertipline as (

    select
        'cybertipline_reports' as input_name,
        line_number,
        country_name || ' / ' || coalesce(report_year::varchar, '?') as record_key,
        rejection_reason
    from {{ ref('base_cybertipline__reports_per_country') }}
    where rejection_reason is not null

),

ign_communes as (

    select 'ign_communes' as input_name, feature_number as line_number, coalesce(commune_code_raw, '?') as record_key, rejection_reason
    from {{ ref('base_ign__communes') }}
    where rejection_reason is not null

),

ign_districts as (

    select 'ign_municipal_districts' as input_name, feature_number as line_number, coalesce(commune_code_raw, '?') as record_key, rejection_reason
    from {{ ref('base_ign__municipal_districts') }}
    where rejection_reason is not null

),

final as (

    select * from ssmsi
    union all
    select * from insee_departments
    union all
    select * from insee_epci
    union all
    select * from insee_communes
    union all
    select * from elections
    union all
    select * from places
    union all
    select * from gtrends
    union all
    select * from cybertipline
    union all
    select * from ign_communes
    union all
    select * from ign_districts

)

select * from final
