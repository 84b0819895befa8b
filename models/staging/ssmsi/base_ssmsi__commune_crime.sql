{#- One row per line of the SSMSI commune file: renamed, decimal comma read, year on 4 digits, and
    the reason the line is quarantined (null when it is kept). UTF-8 or Latin-1 as detected (var
    `ssmsi_encoding` overrides; a .gz file is read as UTF-8 unless that var says otherwise). -#}

{%- set path = source_path('ssmsi', 'delinquance_communes') -%}
{%- set numbers = ['faits', 'tauxpourmille', 'complementinfoval', 'complementinfotaux', 'POP'] %}

with source as (

    select
        row_number() over () + 1 as line_number,
        *
    from read_csv({{ sql_quote(path) }}, delim=';', quote='"', header=true, auto_detect=false, all_varchar=true,
        encoding='{{ csv_encoding(path, "ssmsi_encoding") }}',
        columns=struct_pack(
            "CODGEO_2023" := 'VARCHAR', "annee" := 'VARCHAR', "classe" := 'VARCHAR', "unité.de.compte" := 'VARCHAR',
            "valeur.publiée" := 'VARCHAR', "faits" := 'VARCHAR', "tauxpourmille" := 'VARCHAR', "complementinfoval" := 'VARCHAR',
            "complementinfotaux" := 'VARCHAR', "POP" := 'VARCHAR', "millPOP" := 'VARCHAR', "LOG" := 'VARCHAR', "millLOG" := 'VARCHAR'))

),

typed as (

    select
        line_number,
        trim("CODGEO_2023") as commune_code_raw,
        {{ commune_code('CODGEO_2023') }} as commune_code,
        length(trim("CODGEO_2023")) < 5 as is_code_repaired,
        case when regexp_full_match(trim(annee), '[0-9]{2}') then 2000 + trim(annee)::integer end as year,
        trim(classe) as indicator,
        trim("unité.de.compte") as count_unit,
        trim("valeur.publiée") = 'diff' as is_published,
        {{ parse_number('faits') }}::bigint as incident_count,
        {{ parse_number('tauxpourmille') }} as rate_per_1000,
        {{ parse_number('complementinfoval') }} as fallback_incident_count,
        {{ parse_number('complementinfotaux') }} as fallback_rate_per_1000,
        {{ parse_number('POP') }}::bigint as population,
        case when regexp_full_match(trim(millPOP), '[0-9]{2}') then 2000 + trim(millPOP)::integer end as population_year,
        {{ parse_number('LOG') }}::bigint as housing_count,
        case when regexp_full_match(trim(millLOG), '[0-9]{2}') then 2000 + trim(millLOG)::integer end as housing_year,
        {{ reasons([
            ("not " ~ is_valid_commune_code(commune_code('CODGEO_2023')), 'malformed commune code'),
            ("try_cast(trim(annee) as integer) is null or length(trim(annee)) <> 2", 'year not two digits'),
            ("trim(\"valeur.publiée\") is null or trim(\"valeur.publiée\") not in ('diff', 'ndiff')", 'valeur.publiée not diff/ndiff'),
            (is_unparsed_number('faits') ~ ' or ' ~ is_unparsed_number('tauxpourmille') ~ ' or '
                ~ is_unparsed_number('complementinfoval') ~ ' or ' ~ is_unparsed_number('complementinfotaux')
                ~ ' or ' ~ is_unparsed_number('POP'), 'non-numeric value'),
            ("trim(\"valeur.publiée\") = 'diff' and " ~ clean_number_text('tauxpourmille') ~ " is null", 'published line without a rate'),
            ("trim(\"valeur.publiée\") = 'ndiff' and " ~ clean_number_text('tauxpourmille') ~ " is not null", 'unpublished line with a rate'),
            (parse_number('tauxpourmille') ~ ' < 0 or ' ~ parse_number('complementinfotaux') ~ ' < 0', 'negative rate'),
        ]) }} as rejection_reason
    from source

),

final as (

    select
        line_number,
        commune_code_raw,
        commune_code,
        is_code_repaired,
        year,
        indicator,
        count_unit,
        is_published,
        incident_count,
        rate_per_1000,
        fallback_incident_count,
        fallback_rate_per_1000,
        population,
        population_year,
        housing_count,
        housing_year,
        rejection_reason,
        rejection_reason is null as is_kept
    from typed

)

select * from final
