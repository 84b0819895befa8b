{#- dbt seed on the Spark target. dbt-spark 1.11.0's own spark__load_csv_rows passes the values as
    bindings, which its session method pastes into the SQL as '{value}': a name with an apostrophe
    (Provence-Alpes-Côte d'Azur, L'Haÿ-les-Roses) breaks the statement, and an empty cell becomes the
    string 'None'. This override (the root project's spark__ macro wins dbt's dispatch) writes each
    value as a Spark SQL literal instead: empty cells null, strings quoted with quotes doubled
    (the profile reads string literals without backslash escapes, as DuckDB does). -#}

{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
    {%- set sql -%}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
      ({%- for col_name in agate_table.column_names -%}
        {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
        cast({{ spark_seed_literal(row[loop.index0]) }} as {{ type }}){{ ',' if not loop.last }}
      {%- endfor -%}){{ ',' if not loop.last }}
      {% endfor -%}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
  {%- endfor -%}
  {{ return(statements[0] if statements else '') }}
{% endmacro %}


{% macro spark_seed_literal(value) %}
  {#- One CSV cell (as agate parsed it) as a Spark SQL literal. -#}
  {%- if value is none -%}
    {{ return('null') }}
  {%- elif value is sameas true or value is sameas false -%}
    {{ return(value | string | lower) }}
  {%- elif value is number -%}
    {{ return(value | string) }}
  {%- else -%}
    {{ return("'" ~ (value | string).replace("'", "''") ~ "'") }}
  {%- endif -%}
{% endmacro %}
