{#- One row per line of the INSEE commune export: population density 2020 and share of singles aged
    15+ 2020 (a share), and the reason the line is quarantined (null when it is kept). -#}

{%- set path = source_path('insee', 'indicateurs_communes') %}

with source as (

    {{ read_insee_export(path, ['density', 'singles']) }}

),

parsed as (

    select
        line_number,
        {{ commune_code('code') }} as commune_code,
        length(trim(code)) < 5 as is_code_repaired,
        trim(label) as commune_name,
        {{ parse_number('density') }} as population_density_2020,
        {{ parse_number('singles') }} / 100 as singles_share_2020,
        {{ reasons([
            ("not " ~ is_valid_commune_code(commune_code('code')), 'malformed commune code'),
            (is_unparsed_number('density') ~ ' or ' ~ is_unparsed_number('singles'), 'non-numeric value'),
            wrong_encoding_reason(['label', 'code']),
        ]) }} as rejection_reason
    from source

),

final as (

    select *, rejection_reason is null as is_kept
    from parsed

)

select * from final
