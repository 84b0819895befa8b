{% macro report_test_failures(results) %}
  {#- on-run-end: for every test that failed or warned and stored its failing rows, print the first
      rows (their `message` column where the test has one, in its order, else the row) so that the build names
      the file, day, tile or commune at fault instead of "Got N results". Failing rows are stored
      in <schema>_dbt_test__audit: the singular tests always (their config), every test with
      `dbt build --store-failures`, which `make build` passes. -#}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- for result in results
        if result.node.resource_type == 'test' and result.status in ('fail', 'warn') and result.node.relation_name -%}
    {%- set rows = run_query('select * from ' ~ result.node.relation_name ~ ' limit 11') -%}
    {#- A test with a message prints its first messages in their order, the same at every run (a stored table
        keeps the order its query gave, which varies with the threads). -#}
    {%- if 'message' in rows.column_names -%}
      {%- set rows = run_query('select * from ' ~ result.node.relation_name ~ ' order by message limit 11') -%}
    {%- endif -%}
    {%- do print(result.status | upper ~ ' ' ~ result.node.name ~ ': ' ~ result.failures ~ ' failing row(s); first ones:') -%}
    {%- for row in rows.rows[:10] -%}
      {%- set cells = [] -%}
      {%- for name in rows.column_names -%}
        {%- if name == 'message' or 'message' not in rows.column_names -%}
          {%- do cells.append((name ~ '=' if 'message' not in rows.column_names else '') ~ row[name]) -%}
        {%- endif -%}
      {%- endfor -%}
      {%- do print('  - ' ~ cells | join(', ')) -%}
    {%- endfor -%}
    {%- if rows.rows | length > 10 -%}{%- do print('  - ...') -%}{%- endif -%}
  {%- endfor -%}
  {{ return('') }}
{% endmacro %}
