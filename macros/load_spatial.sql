{% macro load_spatial() %}
  {#- The spatial extension is installed once from the duckdb-extension-spatial wheel
      (`netmob-tor install-spatial`), so nothing is downloaded at run time. -#}
  load spatial
{% endmacro %}
