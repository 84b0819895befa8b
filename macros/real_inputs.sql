{#- Locating and reading the small raw inputs under `data_root`, whichever of the documented layouts
    (embedded default or a real download) the folder holds. See README "Running on the real data". -#}

{% macro input_path(var_name, candidates, required=true) -%}
  {#- Path of one raw input: var `var_name` when set (absolute, or relative to data_root), else the
      first of `candidates` (globs relative to data_root) that matches a file. Resolved at run time;
      at parse time the last candidate stands in. A missing required input fails with the fix. -#}
  {%- set root = var('data_root') -%}
  {%- set chosen = var(var_name, none) -%}
  {%- if chosen -%}
    {{- return(chosen if chosen.startswith('/') else root ~ '/' ~ chosen) -}}
  {%- endif -%}
  {%- if execute -%}
    {%- for candidate in candidates -%}
      {%- set found = run_query("select file from glob('" ~ root ~ "/" ~ candidate ~ "') order by file limit 1") -%}
      {%- if found.rows | length > 0 -%}
        {{- return(found.rows[0][0]) -}}
      {%- endif -%}
    {%- endfor -%}
    {%- if required -%}
      {{- exceptions.raise_compiler_error(
          "input missing: none of " ~ candidates | join(', ') ~ " under data_root '" ~ root ~ "'. Fix: put the file there "
          ~ "(see README 'Running on the real data') or set --vars '{" ~ var_name ~ ": /path/to/file}'; "
          ~ "`netmob-tor doctor --data-root " ~ root ~ "` lists every input.") -}}
    {%- endif -%}
    {{- return('') -}}
  {%- endif -%}
  {{- return(root ~ '/' ~ candidates[-1]) -}}
{%- endmacro %}


{% macro csv_encoding(path, var_name) -%}
  {#- 'latin-1' when the file holds bytes that are not valid UTF-8 (an INSEE or ministry export saved
      in Windows-1252/Latin-1), else 'utf-8'. Var `var_name` overrides the detection. -#}
  {%- set chosen = var(var_name, none) -%}
  {%- if chosen -%}{{- return(chosen) -}}{%- endif -%}
  {%- if path and path.endswith('.gz') -%}{{- return('utf-8') -}}{%- endif -%}
  {%- if execute and path -%}
    {%- set query -%}
      select regexp_matches(
          regexp_replace(content::varchar,
              '\\x(C[2-9A-F]|D[0-9A-F])\\x[89AB][0-9A-F]|\\xE[0-9A-F]\\x[89AB][0-9A-F]\\x[89AB][0-9A-F]|\\xF[0-4]\\x[89AB][0-9A-F]\\x[89AB][0-9A-F]\\x[89AB][0-9A-F]',
              '', 'g'),
          '\\x[89A-F][0-9A-F]')
      from read_blob('{{ path }}')
    {%- endset -%}
    {%- set found = run_query(query) -%}
    {{- return('latin-1' if found.rows[0][0] else 'utf-8') -}}
  {%- endif -%}
  {{- return('utf-8') -}}
{%- endmacro %}


{% macro read_geo(path, layer) -%}
  {#- ST_Read of a shapefile, GeoJSON or GeoPackage; for a GeoPackage, the named layer. -#}
  {%- if path.lower().endswith('.gpkg') -%}
    ST_Read('{{ path }}', layer := '{{ layer }}')
  {%- else -%}
    ST_Read('{{ path }}')
  {%- endif -%}
{%- endmacro %}


{% macro to_wgs84(geom) -%}
  {#- Geometry in WGS84 lon/lat: ADMIN-EXPRESS ships Lambert-93 (EPSG:2154), GeoJSON is WGS84.
      Var `communes_crs` ('auto' by default: coordinates beyond ±360 are taken as Lambert-93). -#}
  {%- set crs = var('communes_crs', 'auto') -%}
  {%- if crs == 'auto' -%}
    case when abs(ST_XMax({{ geom }})) > 360
         then ST_Transform({{ geom }}, 'EPSG:2154', 'EPSG:4326', always_xy := true)
         else {{ geom }} end
  {%- elif crs in ('EPSG:4326', 'WGS84') -%}
    {{ geom }}
  {%- else -%}
    ST_Transform({{ geom }}, '{{ crs }}', 'EPSG:4326', always_xy := true)
  {%- endif -%}
{%- endmacro %}


{% macro parse_number(expr) -%}
  {#- Text to DOUBLE: French decimal comma or point, thousands separators (space, no-break space,
      `,` followed by 3 digits in an English number), empty / `NA` / INSEE's `N/A - …` as null.
      Non-numeric text gives null too: pair it with `is_unparsed_number` to quarantine it. -#}
  try_cast(replace(replace(replace({{ clean_number_text(expr) }}, ' ', ''), chr(160), ''), ',', '.') as double)
{%- endmacro %}


{% macro clean_number_text(expr) -%}
  {#- The text of a number field with missing-value markers turned into null. -#}
  case
      when trim({{ expr }}) in ('', 'NA', 'N/A', 'NaN', 'nd', 's') then null
      when trim({{ expr }}) like 'N/A%' then null
      else trim({{ expr }})
  end
{%- endmacro %}


{% macro is_unparsed_number(expr) -%}
  {#- True when the field holds text that is neither a missing-value marker nor a number. -#}
  ({{ clean_number_text(expr) }} is not null and {{ parse_number(expr) }} is null)
{%- endmacro %}


{% macro is_valid_commune_code(expr) -%}
  {#- A French commune or municipal-district code: 2 digits / 2A / 2B + 3 digits, or 97x + 2 digits. -#}
  regexp_full_match(coalesce({{ expr }}, ''), '([013-8][0-9]|9[0-5]|2[0-9AB])[0-9]{3}|97[1-6][0-9]{2}')
{%- endmacro %}


{% macro reasons(checks) -%}
  {#- A `; `-joined list of the reasons whose condition holds, or null: the quarantine reason. -#}
  nullif(concat_ws('; ',
  {%- for condition, reason in checks %}
      case when {{ condition }} then '{{ reason }}' end{{ ',' if not loop.last }}
  {%- endfor %}
  ), '')
{%- endmacro %}


{% macro department_code(expr) -%}
  {#- Department code with a leading zero lost by a spreadsheet restored (`1` → `01`); 3-character
      overseas codes (`971`) kept whole (lpad would cut them). -#}
  case when length(trim({{ expr }})) = 1 then '0' || trim({{ expr }}) else trim({{ expr }}) end
{%- endmacro %}


{% macro read_insee_export(path, value_columns) -%}
  {#- Lines of an INSEE "statistiques locales" CSV export (`Code;Libellé;<indicators>`), all text,
      numbered as in the file (the header is line 1), in UTF-8 or Latin-1 as detected. -#}
  select row_number() over () + 1 as line_number, *
  from read_csv('{{ path }}', delim=';', quote='"', header=true, auto_detect=false,
      encoding='{{ csv_encoding(path, "insee_encoding") }}',
      columns=struct_pack(code := 'VARCHAR', label := 'VARCHAR'
          {%- for column in value_columns %}, {{ column }} := 'VARCHAR'{% endfor %}))
{%- endmacro %}


{% macro wrong_encoding_reason(columns) -%}
  {#- A (condition, reason) pair for `reasons()`: a Unicode replacement character in any of the
      text columns means the file was decoded with the wrong encoding. -#}
  {%- set text = [] -%}
  {%- for column in columns -%}{%- do text.append("coalesce(" ~ column ~ ", '')") -%}{%- endfor -%}
  {{ return(("contains(" ~ text | join(' || ') ~ ", chr(65533))", 'invalid characters (wrong encoding)')) }}
{%- endmacro %}
