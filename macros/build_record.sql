{#- What a build records about itself in the warehouse: the vars it ran with (study_parameters, and
    per model in build_log) and where its data came from (data_source). -#}

{% macro recorded_var_names() %}
  {#- The vars a build records (study_parameters, build_log): every study parameter and processing
      choice, not the project's bookkeeping vars (var_rules, sensitivity settings). -#}
  {{ return([
      'data_root', 'services', 'direction', 'traffic_value_type', 'traffic_change_detection', 'processing_profile',
      'anomaly_rule', 'zero_web_adult_days', 'dst_day_labels', 'population_source', 'communes_population_year',
      'district_controls', 'correction', 'published_rho', 'poi_assignment', 'profile_schema', 'absent_tile_lines', 'extra_anomaly_days',
      'use_anomaly_days_seed', 'commune_scope', 'communes_source', 'study_start', 'study_end', 'timezone', 'dst_gap_hour',
      'log_floor', 'tor_lag_hours', 's_onion', 's_onion_scenarios', 's_csam_sites', 's_porn_onion_sites',
      'c_floor', 'sexual_violence_indicator', 'sv_first_year', 'sv_last_year', 'sv_reference_year',
      'drug_use_indicator', 'drug_use_year', 'poi_categories', 'top_tile_share', 'poi_min_per_category',
      'small_population_threshold',
  ]) }}
{% endmacro %}


{% macro recorded_vars_json() %}
  {#- The recorded vars of this invocation as one JSON object. -#}
  {%- set values = {} -%}
  {%- for name in recorded_var_names() -%}{%- do values.update({name: var(name, none)}) -%}{%- endfor -%}
  {{ return(tojson(values)) }}
{% endmacro %}


{% macro record_build(results) %}
  {#- on-run-end: one row per model this invocation built, in main.build_log (created on first use),
      with the vars it was built with, so that a partial rebuild (`--select x+ --vars ...`) leaves in
      the warehouse what it applied to which table. DuckDB only (Spark's tables are rebuilt whole). -#}
  {%- if not execute or target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
  {%- set built = [] -%}
  {%- for result in results if result.node.resource_type in ('model', 'seed') and result.status in ('success', 'OK') -%}
    {%- do built.append(result.node) -%}
  {%- endfor -%}
  {%- if not built -%}{{ return('') }}{%- endif -%}
  {%- set log = target.schema ~ '.build_log' -%}
  {%- set statements -%}
    create table if not exists {{ log }} (
        dbt_invocation_id varchar, finished_at timestamp, model varchar, relation varchar, vars_json varchar
    );
    insert into {{ log }}
    select * from (values
      {%- for node in built %}
        ({{ sql_quote(invocation_id) }}, current_timestamp::timestamp, {{ sql_quote(node.name) }},
         {{ sql_quote(node.schema ~ '.' ~ node.alias) }}, {{ sql_quote(recorded_vars_json()) }}){{ ',' if not loop.last }}
      {%- endfor %}
    );
  {%- endset -%}
  {%- do run_query(statements) -%}
  {{ return('') }}
{% endmacro %}
