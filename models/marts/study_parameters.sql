{#- One row per study parameter (a dbt var): the value the build ran with, as JSON, so that the
    statistical layer and the report read the build's parameters rather than copies of them
    (python/netmob_tor/params.py). dbt_project.yml holds the defaults. -#}

{%- set names = [
    'data_root', 'services', 'direction', 'traffic_value_type', 'processing_profile', 'anomaly_rule', 'zero_web_adult_days',
    'dst_day_labels', 'population_source', 'communes_population_year', 'district_controls', 'correction', 'published_rho',
    'poi_assignment', 'profile_schema', 'absent_tile_lines', 'study_start', 'study_end', 'timezone', 'dst_gap_hour',
    'log_floor', 'tor_lag_hours', 's_onion', 's_onion_scenarios', 's_csam_sites', 's_porn_onion_sites',
    'c_floor', 'sexual_violence_indicator', 'sv_first_year', 'sv_last_year', 'sv_reference_year',
    'drug_use_indicator', 'drug_use_year', 'poi_categories', 'top_tile_share', 'poi_min_per_category',
    'small_population_threshold',
] %}

with parameters as (

    select * from (values
        {% for name in names -%}
        ('{{ name }}', '{{ tojson(var(name, none)) | replace("'", "''") }}'){{ ',' if not loop.last }}
        {% endfor -%}
    ) as parameters (parameter, value_json)

),

final as (

    select
        parameter,
        value_json,
        {{ processing_profile_columns() }}
    from parameters

)

select * from final
