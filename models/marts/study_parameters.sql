{#- One row per study parameter (a dbt var): the value the build ran with, as JSON, so that the
    statistical layer and the report read the build's parameters rather than copies of them
    (python/netmob_tor/params.py). dbt_project.yml holds the defaults. -#}

-- depends_on: {{ ref('int_communes__estimates') }}
{#- Downstream of the commune estimates, so that a selection such as int_communes__correction_factors+
    rebuilds this table with the vars it applies. -#}
{%- set names = recorded_var_names() %}

with parameters as (

    select * from (values
        {% for name in names -%}
        ({{ sql_quote(name) }}, {{ sql_quote(tojson(var(name, none))) }}){{ ',' if not loop.last }}
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
