{#- One row per kept commune line and candidate of the 2017 first round: the repeated candidate blocks
    unpivoted. -#}

with communes as (

    select * from {{ ref('base_elections__presidential_2017_communes') }}
    where rejection_reason is null

),

blocks as (

    select
        line_number,
        department_code_raw,
        commune_code,
        commune_part_code,
        unnest(candidate_blocks) as block
    from communes

),

final as (

    select
        line_number,
        department_code_raw,
        commune_code,
        commune_part_code,
        block.panel as ballot_panel,
        block.sex as candidate_sex,
        block.last_name as candidate_last_name,
        block.first_name as candidate_first_name,
        block.votes
    from blocks

)

select * from final
