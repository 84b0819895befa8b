{#- The rule for the polygons of the grid tiles and of the communes (docs/bad-input.md): a valid
    polygon is used as it is; an invalid one (a self-intersecting ring, a bow-tie)
    is repaired with ST_MakeValid, keeping its polygonal part, and flagged `is_geom_repaired`; a
    null or empty geometry, one that is not a polygon, or an invalid one that ST_MakeValid cannot
    turn into an area is set aside with the reason. Three macros, applied in two steps: the
    state, then the usable polygon and the rejection reason, so that validity is tested once. -#}

{% macro polygon_state(geom) -%}
  {#- 'valid', 'invalid', or why the geometry is not a polygon at all (the rejection reason). -#}
  case
      when {{ geom }} is null or ST_IsEmpty({{ geom }}) then 'null or empty geometry'
      when ST_GeometryType({{ geom }})::varchar not in ('POLYGON', 'MULTIPOLYGON')
          then 'not a polygon (' || lower(ST_GeometryType({{ geom }})::varchar) || ')'
      when ST_IsValid({{ geom }}) then 'valid'
      else 'invalid'
  end
{%- endmacro %}


{% macro usable_polygon(geom, state) -%}
  {#- The polygon to use: as it is when valid, its ST_MakeValid repair (polygonal part only) when
      invalid, null otherwise. ST_MakeValid raises on some rings (an unclosed one): try() makes
      that null, which polygon_rejection() reports as not repairable. -#}
  case {{ state }}
      when 'valid' then {{ geom }}
      when 'invalid' then ST_CollectionExtract(try(ST_MakeValid({{ geom }})), 3)
  end
{%- endmacro %}


{% macro polygon_rejection(state, usable) -%}
  {#- Why the polygon cannot be used, or null: the state's reason, or an invalid polygon whose
      repair left no area. -#}
  case
      when {{ state }} not in ('valid', 'invalid') then {{ state }}
      when {{ usable }} is null or ST_IsEmpty({{ usable }}) then 'invalid polygon that ST_MakeValid cannot repair'
  end
{%- endmacro %}


{% macro grid_tiles_set_aside() %}
  {#- One row per city and tile id set aside from its grid file (base_netmob__tiles), with the reason
      (`; `-joined for an id on several features). Their lines are set aside by the build as `tile not
      in the city grid`, since the tile is not in the crosswalk; traffic_quarantine and the warning
      test assert_no_traffic_lines_set_aside name them with set_aside_line_reason(). -#}
  select city, tile_id, string_agg(distinct rejection_reason, '; ' order by rejection_reason) as rejection_reason
  from {{ ref('base_netmob__tiles') }}
  where not is_kept and tile_id is not null
  group by city, tile_id
{% endmacro %}


{% macro set_aside_line_reason(reason, grid_rejection) -%}
  {#- The reason of a set-aside traffic line: `tile set aside from the city grid: <why>` for a line of a
      tile set aside from its grid file (`grid_rejection` from grid_tiles_set_aside(), null otherwise),
      else the build's own reason. -#}
  case
      when {{ reason }} = 'tile not in the city grid' and {{ grid_rejection }} is not null
          then 'tile set aside from the city grid: ' || {{ grid_rejection }}
      else {{ reason }}
  end
{%- endmacro %}
