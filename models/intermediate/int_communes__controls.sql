{#- One row per study commune: the census, poverty, unemployment and 2017 election controls of Table 3.
    A commune missing from the census or election file (Paris, Lyon and Marseille districts,
    which those files key as whole cities) takes its parent's row under `district_controls:
    parent` (flagged), or stays empty under `missing`, as the study's merge on the commune code
    left it. -#}

{%- set from_parent = processing_choice('district_controls') == 'parent' %}

with communes as (

    select * from {{ ref('commune_admin') }}

),

indicators as (

    select * from {{ ref('stg_insee__commune_indicators') }}

),

poverty as (

    select * from {{ ref('stg_insee__epci_poverty') }}

),

unemployment as (

    select * from {{ ref('stg_insee__department_unemployment') }}

),

election_communes as (

    select * from {{ ref('stg_elections__presidential_2017_communes') }}

),

candidate_votes as (

    select
        commune_code,
        sum(votes) filter (where candidate_last_name = 'LE PEN') as le_pen_votes,
        sum(votes) filter (where candidate_last_name = 'MACRON') as macron_votes
    from {{ ref('stg_elections__presidential_2017_candidate_votes') }}
    where commune_code is not null
    group by commune_code

),

elections as (

    select
        election_communes.commune_code,
        election_communes.registered,
        election_communes.expressed_votes,
        candidate_votes.le_pen_votes,
        candidate_votes.macron_votes
    from election_communes
    left join candidate_votes using (commune_code)

),

{#- A commune missing from a file takes its parent's row (district_controls: parent): communes
    déléguées in the 2023 census geography, Paris/Lyon/Marseille districts in the 2017 election
    file (city-level results). -#}
census_matched as (

    select
        communes.commune_code,
        coalesce(own.commune_code, parent.commune_code) as census_commune_code,
        coalesce(own.population_density_2020, parent.population_density_2020) as population_density,
        coalesce(own.singles_share_2020, parent.singles_share_2020) as singles_share
    from communes
    left join indicators as own on own.commune_code = communes.commune_code
    left join indicators as parent
        on parent.commune_code = communes.parent_commune and own.commune_code is null and {{ from_parent }}

),

elections_matched as (

    select
        communes.commune_code,
        coalesce(own.commune_code, parent.commune_code) as election_commune_code,
        coalesce(own.registered, parent.registered) as registered,
        coalesce(own.expressed_votes, parent.expressed_votes) as expressed_votes,
        coalesce(own.le_pen_votes, parent.le_pen_votes) as le_pen_votes,
        coalesce(own.macron_votes, parent.macron_votes) as macron_votes
    from communes
    left join elections as own on own.commune_code = communes.commune_code
    left join elections as parent
        on parent.commune_code = communes.parent_commune and own.commune_code is null and {{ from_parent }}

),

final as (

    select
        communes.commune_code,
        communes.department as department_code,
        communes.epci as epci_code,
        census_matched.census_commune_code,
        census_matched.population_density,
        case when census_matched.population_density > 0 then ln(census_matched.population_density) end
            as log_population_density,
        census_matched.singles_share,
        poverty.poverty_rate_2020 as poverty_rate,
        unemployment.unemployment_rate_2022 as unemployment_rate,
        elections_matched.election_commune_code,
        coalesce(census_matched.census_commune_code <> communes.commune_code, false)
            or coalesce(elections_matched.election_commune_code <> communes.commune_code, false) as controls_from_parent,
        elections_matched.expressed_votes::double / nullif(elections_matched.registered, 0) as turnout_2017,
        elections_matched.le_pen_votes::double / nullif(elections_matched.registered, 0) as le_pen_share_2017,
        elections_matched.macron_votes::double / nullif(elections_matched.registered, 0) as macron_share_2017
    from communes
    left join census_matched using (commune_code)
    left join elections_matched using (commune_code)
    left join poverty on poverty.epci_code = communes.epci
    left join unemployment on unemployment.department_code = communes.department

)

select * from final
