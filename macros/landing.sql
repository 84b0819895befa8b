{#- Where the landing lives and how relations are named in the warehouse's SQL. -#}

{% macro landing_database() %}
  {#- The catalog of the landing (the tables read from the raw traffic text): the DuckDB file attached
      as `landing` (profiles.yml), or none where the target has no catalogs (Spark). -#}
  {{ return(adapter.dispatch('landing_database', 'netmob_tor')()) }}
{% endmacro %}


{% macro duckdb__landing_database() %}
  {{ return('landing') }}
{% endmacro %}


{% macro default__landing_database() %}
  {{ return(none) }}
{% endmacro %}


{% macro ref() %}
  {#- dbt's ref, without the catalog for relations in the warehouse's own file: a view's stored SQL
      then names `main.x`, which DuckDB binds in the view's own catalog, so a renamed or attached copy
      of the warehouse reads (the catalog is named after the file). Relations of the landing keep
      their `landing.` catalog. -#}
  {%- set relation = builtins.ref(*varargs, **kwargs) -%}
  {%- if relation is not none and relation.database is not none and relation.database == target.database -%}
    {{ return(relation.include(database=false)) }}
  {%- endif -%}
  {{ return(relation) }}
{% endmacro %}
