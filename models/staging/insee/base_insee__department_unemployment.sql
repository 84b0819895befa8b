{#- One row per line of the INSEE department export: average annual unemployment rate 2022 as a share,
    and the reason the line is quarantined (null when it is kept). -#}

{%- set path = source_path('insee', 'chomage_departements') %}

with source as (

    {{ read_insee_export(path, ['value']) }}

),

parsed as (

    select
        line_number,
        {{ department_code('code') }} as department_code,
        length(trim(code)) < 2 as is_code_repaired,
        trim(label) as department_name,
        {{ parse_number('value') }} / 100 as unemployment_rate_2022,
        {{ reasons([
            ("not regexp_full_match(coalesce(" ~ department_code('code') ~ ", ''), '[0-9]{2}|2[AB]|97[1-6]')", 'malformed department code'),
            (is_unparsed_number('value'), 'non-numeric value'),
            wrong_encoding_reason(['label', 'code']),
        ]) }} as rejection_reason
    from source

),

final as (

    select *, rejection_reason is null as is_kept
    from parsed

)

select * from final
