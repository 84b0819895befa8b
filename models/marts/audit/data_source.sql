{{ config(materialized='table') }}
{#- One row: where the build's data came from, read from the folder itself (never from a flag), so that
    the report, `summary`, `analyze` and `export` name the source of the figures they show
    (python/netmob_tor/provenance.py). `synthetic` when the folder holds the marker that
    `netmob-tor generate` writes first (.netmob-tor-generated), with the generator's seed, scale and
    targets from its manifest; otherwise `real`. The fingerprint covers every file under data_root:
    its path relative to data_root, its size and a hash of its bytes (the traffic files' hashes from
    the file scan base_netmob__traffic_files, the others' read here). -#}

-- depends_on: {{ ref('int_traffic__loaded_files') }}
{%- set root = var('data_root') %}
{%- set marker = root ~ '/.netmob-tor-generated' %}
{%- set manifest = root ~ '/_synthetic/manifest.json' %}
{%- set listing = [] %}
{%- set generated = false %}
{%- if execute %}
    {%- set listing = run_query("select filename from read_blob(" ~ sql_quote(root ~ '/**') ~ ") order by filename").columns[0].values() | list %}
    {%- set generated = marker in listing or (root ~ '/' ~ '.netmob-tor-generated') in listing %}
{%- endif %}
{%- set traffic = [] %}{%- set other = [] %}
{%- set scan = traffic_file_scan() if execute else {} %}
{%- for path in listing %}{%- do (traffic if path in scan else other).append(path) %}{%- endfor %}

with files as (

    select filename, size, hash(content) as content_hash
    from read_blob([{{ sql_string_list(other)[1:-1] if other else sql_quote('/dev/null') }}])
    {{ 'where false' if not other }}

    union all

    select source_file as filename, source_size as size, ('0x' || content_hash)::ubigint as content_hash
    from {{ ref('base_netmob__traffic_files') }}

),

fingerprint as (

    select
        count(*) as n_files,
        coalesce(sum(size), 0)::bigint as n_bytes,
        count(*) filter (where filename in (select source_file from {{ ref('base_netmob__traffic_files') }})) as n_traffic_files,
        coalesce(sum(size) filter (where filename in (select source_file from {{ ref('base_netmob__traffic_files') }})), 0)
            ::bigint as traffic_bytes,
        lpad(to_hex(hash(string_agg(
            substr(filename, {{ root | length + 2 }}) || ':' || size || ':' || content_hash, '|' order by filename
        ))), 16, '0') as fingerprint
    from files

),

generator as (

    {% if generated -%}
    select seed::bigint as generator_seed, scale::varchar as generator_scale, targets::varchar as generator_targets
    from read_json({{ sql_quote(manifest) }}, columns={seed: 'BIGINT', scale: 'VARCHAR', targets: 'VARCHAR'})
    {%- else -%}
    select null::bigint as generator_seed, null::varchar as generator_scale, null::varchar as generator_targets
    {%- endif %}

),

days as (

    select min(traffic_date) as first_day, max(traffic_date) as last_day
    from {{ ref('int_traffic__loaded_files') }}
    where local_day_hours is not null

),

final as (

    select
        {{ sql_quote(root) }} as data_root,
        '{{ "synthetic" if generated else "real" }}' as source_kind,
        generator.generator_seed,
        generator.generator_scale,
        generator.generator_targets,
        fingerprint.n_files,
        fingerprint.n_bytes,
        fingerprint.n_traffic_files,
        fingerprint.traffic_bytes,
        days.first_day,
        days.last_day,
        fingerprint.fingerprint,
        current_timestamp::timestamp as recorded_at,
        '{{ invocation_id }}' as dbt_invocation_id
    from fingerprint
    cross join generator
    cross join days

)

select * from final
