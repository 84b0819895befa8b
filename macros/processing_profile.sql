{#- The processing profiles: the one place where the study's processing and the corrected one are
    defined. Each choice is a var of its own (dbt_project.yml); a null var follows the profile. -#}

{% macro processing_profiles() %}
  {{ return({
      'study': {
          'anomaly_rule': 'zero_web_adult',
          'dst_day_labels': 'position',
          'population_source': 'study',
          'district_controls': 'missing',
          'published_rho': 'pearson',
          'poi_assignment': 'tile',
      },
      'corrected': {
          'anomaly_rule': 'drop_days',
          'dst_day_labels': 'local_time',
          'population_source': 'communes',
          'district_controls': 'parent',
          'published_rho': 'pearson',
          'poi_assignment': 'polygon',
      },
  }) }}
{% endmacro %}


{% macro processing_choice_values() %}
  {#- Each processing choice and the values it may take: the choices' rules in dbt_project.yml `var_rules`
      (null there means "follow the profile"). -#}
  {%- set rules = var('var_rules') -%}
  {%- set values = {} -%}
  {%- for name in ['anomaly_rule', 'dst_day_labels', 'population_source', 'district_controls', 'correction', 'published_rho',
                   'poi_assignment'] -%}
    {%- do values.update({name: rules[name].allowed | reject('none') | list}) -%}
  {%- endfor -%}
  {{ return(values) }}
{% endmacro %}


{% macro processing_choice(name) %}
  {#- The value of one processing choice: its own var if set, else the profile's. -#}
  {%- set profiles = processing_profiles() -%}
  {%- set profile = var('processing_profile') -%}
  {%- if profile not in profiles -%}
    {{ exceptions.raise_compiler_error("processing_profile must be one of " ~ (profiles.keys() | list) ~ ", got '" ~ profile ~ "'") }}
  {%- endif -%}
  {%- set value = var(name, none) -%}
  {%- if value is none -%}{%- set value = profiles[profile].get(name) -%}{%- endif -%}
  {%- set allowed = processing_choice_values()[name] -%}
  {%- if value not in allowed -%}
    {{ exceptions.raise_compiler_error(name ~ " must be one of " ~ allowed ~ ", got '" ~ value ~ "'") }}
  {%- endif -%}
  {{ return(value) }}
{% endmacro %}


{% macro processing_profile_label() %}
  {#- The profile a build ran with: its name, or `<name>+custom` when a choice var departs from it. -#}
  {%- set profile = var('processing_profile') -%}
  {%- set departs = [] -%}
  {%- for name in processing_choice_values() -%}
    {%- set default = processing_profiles()[profile].get(name, 'published') -%}
    {%- if processing_choice(name) != default -%}{%- do departs.append(name) -%}{%- endif -%}
  {%- endfor -%}
  {{ return(profile if not departs else profile ~ '+custom') }}
{% endmacro %}


{% macro processing_choices_label() %}
  {#- Every processing choice of the build, `name=value; ...`. -#}
  {%- set parts = [] -%}
  {%- for name in processing_choice_values() -%}
    {%- do parts.append(name ~ '=' ~ processing_choice(name)) -%}
  {%- endfor -%}
  {{ return(parts | join('; ')) }}
{% endmacro %}


{% macro processing_profile_columns() -%}
  {#- The two columns by which every mart records the processing it was built with. -#}
  '{{ processing_profile_label() }}' as processing_profile,
  '{{ processing_choices_label() }}' as processing_choices
{%- endmacro %}
