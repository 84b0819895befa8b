{#- The rule for the polygons of the grid tiles and of the communes (README "What happens to bad
    input"): a valid polygon is used as it is; an invalid one (a self-intersecting ring, a bow-tie)
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


{% macro grid_tile_set_aside_reason(rejection_reason) -%}
  {#- The reason traffic_quarantine gives to the lines of a tile set aside from its grid file (the
      build sets them aside as `tile not in the city grid`, since the tile is not in the crosswalk). -#}
  'tile set aside from the city grid: ' || {{ rejection_reason }}
{%- endmacro %}
