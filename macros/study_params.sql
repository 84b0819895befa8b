{#- The study's parameters as SQL expressions, read from dbt vars (defaults: Koebe et al. 2024). -#}

{% macro s_csam() -%}
  ({{ var('s_csam_sites') }}::double / {{ var('s_porn_onion_sites') }})
{%- endmacro %}

{% macro correction_scale() -%}
  ({{ var('s_onion') }}::double * {{ s_csam() }})
{%- endmacro %}

{% macro floored_ln(expr) -%}
  ln(greatest({{ expr }}, {{ var('log_floor') }}))
{%- endmacro %}

{% macro commune_code(expr) -%}
  {#- INSEE commune code as a 5-character string: restores a leading zero lost by a spreadsheet. -#}
  lpad(trim(cast({{ expr }} as varchar)), 5, '0')
{%- endmacro %}

{% macro in_dates(expr, dates) -%}
  {#- SQL predicate: expr is one of the ISO dates listed (false for an empty list). -#}
  {%- if dates -%}
  {{ expr }} in ({% for d in dates %}date '{{ d }}'{{ ', ' if not loop.last }}{% endfor %})
  {%- else -%}
  false
  {%- endif -%}
{%- endmacro %}

{% macro average_rank(expr, partition_by) -%}
  {#- Rank of expr within the partition, ties sharing their mean rank (as Spearman's rho needs): the
      mean of the tie group's first rank (rank()) and its last (the rows up to and including the
      row's peers, the default frame's count), so both functions share one sort of the partition. -#}
  ((rank() over (partition by {{ partition_by }} order by {{ expr }})
      + count(*) over (partition by {{ partition_by }} order by {{ expr }}
                       range between unbounded preceding and current row)) / 2.0)
{%- endmacro %}


{% macro commune_scope() -%}
  {#- Var `commune_scope`, checked: `study` (each city's tiles matched against the seed's communes
      of that city) or `all` (every commune of the supplied file). -#}
  {%- set scope = var('commune_scope') -%}
  {%- if scope not in ('study', 'all') -%}
    {{- exceptions.raise_compiler_error("var commune_scope must be `study` or `all`, not `" ~ scope ~ "`") -}}
  {%- endif -%}
  {{- return(scope) -}}
{%- endmacro %}
