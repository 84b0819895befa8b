{#- Generic data tests written here because dbt hub packages cannot be fetched offline. -#}

{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true, where=none) %}
  {#- Fails on every row whose value lies outside [min_value, max_value]; nulls are not checked. -#}
  with checked as (
      select {{ column_name }} as value
      from {{ model }}
      where {{ column_name }} is not null
      {% if where %} and ({{ where }}) {% endif %}
  ),

  final as (
      select *
      from checked
      where false
      {% if min_value is not none %}
        or value {{ '<' if inclusive else '<=' }} {{ min_value }}
      {% endif %}
      {% if max_value is not none %}
        or value {{ '>' if inclusive else '>=' }} {{ max_value }}
      {% endif %}
  )

  select * from final
{% endtest %}


{% test expression_is_true(model, expression, where=none) %}
  {#- Fails on every row where the SQL expression is false or null. -#}
  with final as (
      select *
      from {{ model }}
      where not coalesce(({{ expression }}), false)
      {% if where %} and ({{ where }}) {% endif %}
  )

  select * from final
{% endtest %}


{% test unique_combination_of_columns(model, combination_of_columns) %}
  {#- Fails on every combination of the columns that occurs more than once. -#}
  with final as (
      select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
      from {{ model }}
      group by all
      having count(*) > 1
  )

  select * from final
{% endtest %}


{% test row_count_equals(model, expected, group_by=none) %}
  {#- Fails when the model's row count (per group, if given) differs from `expected`. -#}
  with counts as (
      select {% if group_by %}{{ group_by | join(', ') }},{% endif %} count(*) as n_rows
      from {{ model }}
      {% if group_by %}group by all{% endif %}
  ),

  final as (
      select * from counts where n_rows <> {{ expected }}
  )

  select * from final
{% endtest %}


{% test equal_row_count(model, compare_model) %}
  {#- Fails when the two relations have different row counts. -#}
  with final as (
      select
          (select count(*) from {{ model }}) as n_model,
          (select count(*) from {{ compare_model }}) as n_compare
  )

  select * from final where n_model <> n_compare
{% endtest %}


{% test not_null_unless_lines_set_aside(model, column_name) %}
  {#- Fails on rows where the column is null, except in communes whose traffic lines were set aside
      (int_communes__traffic_line_checks, flagged in commune_summary): there a service can have no
      trusted line on a day, and its volume is unknown, not zero. -#}
  with final as (
      select *
      from {{ model }}
      where {{ column_name }} is null
        and commune_code not in (select commune_code from {{ ref('int_communes__traffic_line_checks') }})
  )

  select * from final
{% endtest %}


{% test unique_in_landed_table(model, combination_of_columns, landed) %}
  {#- The grain test of a view over the raw files, run on the table that lands each of its rows
      unchanged (`landed`): testing the view itself would parse the text a second time. The same
      check as unique_combination_of_columns, on `landed`. -#}
  {{ test_unique_combination_of_columns(landed, combination_of_columns) }}
{% endtest %}
