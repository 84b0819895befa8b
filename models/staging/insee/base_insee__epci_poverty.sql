{#- One row per line of the INSEE EPCI export: poverty rate 2020 as a share, and the reason the line is
    quarantined (null when it is kept). -#}

{%- set path = source_path('insee', 'pauvrete_epci') %}

with source as (

    {{ read_insee_export(path, ['value']) }}

),

parsed as (

    select
        line_number,
        trim(code) as epci_code,
        trim(label) as epci_name,
        {{ parse_number('value') }} / 100 as poverty_rate_2020,
        {{ reasons([
            ("not regexp_full_match(coalesce(trim(code), ''), '[0-9]{9}')", 'malformed EPCI code'),
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
