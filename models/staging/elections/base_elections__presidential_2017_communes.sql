{#- One row per data line of the ministry's 2017 first-round commune file: registered, voters, blank,
    void and expressed votes, the candidate blocks, and the reason the line is quarantined (null when
    kept). Columns are found by their header names, so the file may carry the ministry's percentage
    columns (`% Abs/Ins`, `% Voix/Exp`, …) and `Etat saisie` or not. -#}

{%- set path = source_path('elections', 'presidentielle_2017_t1_communes') %}

with source as (

    select row_number() over () as line_number, line
    from read_csv({{ sql_quote(path) }}, delim=E'\x1F', quote='', escape='', header=false, auto_detect=false,
        encoding='{{ csv_encoding(path, "elections_encoding") }}', columns=struct_pack(line := 'VARCHAR'))

),

header as (

    select
        line_number as header_line,
        list_transform(string_split(line, ';'), lambda h: trim(h, ' "')) as names
    from source
    where trim(line, ' "') like 'Code du d%partement%'
    order by line_number
    limit 1

),

positions as (

    select
        header_line,
        len(names) as n_columns,
        list_position(names, 'Code du département') as p_dep,
        list_position(names, 'Libellé du département') as p_dep_name,
        list_position(names, 'Code de la commune') as p_com,
        list_position(names, 'Libellé de la commune') as p_com_name,
        list_position(names, 'Inscrits') as p_registered,
        list_position(names, 'Abstentions') as p_abstentions,
        list_position(names, 'Votants') as p_voters,
        list_position(names, 'Blancs') as p_blank,
        list_position(names, 'Nuls') as p_void,
        list_position(names, 'Exprimés') as p_expressed,
        list_filter(generate_series(1, len(names)), lambda i: names[i] = 'N°Panneau') as p_blocks
    from header

),

fields as (

    select
        source.line_number,
        positions.*,
        list_transform(string_split(source.line, ';'), lambda f: trim(f, ' "')) as f
    from source
    cross join positions
    where source.line_number > positions.header_line
      and trim(source.line) <> ''

),

typed as (

    select
        line_number,
        f[p_dep] as department_code_raw,
        f[p_dep] like 'Z%' as is_overseas_or_abroad,
        case
            when f[p_dep] like 'Z%' then null
            else {{ department_code('f[p_dep]') }} || lpad(f[p_com], 3, '0')
        end as commune_code,
        f[p_dep_name] as department_name,
        f[p_com] as commune_part_code,
        f[p_com_name] as commune_name,
        try_cast(f[p_registered] as bigint) as registered,
        try_cast(f[p_abstentions] as bigint) as abstentions,
        try_cast(f[p_voters] as bigint) as voters,
        try_cast(f[p_blank] as bigint) as blank_votes,
        try_cast(f[p_void] as bigint) as void_votes,
        try_cast(f[p_expressed] as bigint) as expressed_votes,
        list_transform(p_blocks, lambda p: struct_pack(
            panel := try_cast(f[p] as integer), sex := f[p + 1], last_name := f[p + 2],
            first_name := f[p + 3], votes := try_cast(f[p + 4] as bigint), votes_text := f[p + 4]
        )) as blocks,
        len(f) as n_fields,
        n_columns
    from fields

),

checked as (

    select
        line_number,
        department_code_raw,
        is_overseas_or_abroad,
        commune_code,
        department_name,
        commune_part_code,
        commune_name,
        registered,
        abstentions,
        voters,
        blank_votes,
        void_votes,
        expressed_votes,
        list_transform(blocks, lambda b: struct_pack(
            panel := b.panel, sex := b.sex, last_name := b.last_name, first_name := b.first_name, votes := b.votes
        )) as candidate_blocks,
        {{ reasons([
            ("n_fields <> n_columns", 'wrong column count'),
            ("n_fields = n_columns and not is_overseas_or_abroad and not " ~ is_valid_commune_code('commune_code'), 'malformed commune code'),
            ("n_fields = n_columns and (registered is null or abstentions is null or voters is null or blank_votes is null"
                ~ " or void_votes is null or expressed_votes is null"
                ~ " or len(list_filter(blocks, lambda b: b.panel is null or b.votes is null)) > 0)", 'non-numeric count'),
            ("n_fields = n_columns and (voters <> blank_votes + void_votes + expressed_votes or registered <> voters + abstentions)",
                'counts do not add up'),
        ]) }} as rejection_reason
    from typed

),

final as (

    select
        *,
        rejection_reason is null and not is_overseas_or_abroad as is_kept
    from checked

)

select * from final
