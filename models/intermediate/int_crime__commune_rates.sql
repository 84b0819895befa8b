{#- One row per commune code of the SSMSI file: sexual-violence rates (2019, mean 2017-2021) and drug-use rate. -#}

{%- set sv_indicator = var('sexual_violence_indicator') -%}
{%- set drug_indicator = var('drug_use_indicator') -%}
{%- set sv_first_year = var('sv_first_year') -%}
{%- set sv_last_year = var('sv_last_year') -%}
{%- set sv_reference_year = var('sv_reference_year') -%}
{%- set drug_use_year = var('drug_use_year') %}

with crime as (

    select * from {{ ref('stg_ssmsi__commune_crime') }}

),

communes as (

    select distinct commune_code
    from crime
    where indicator in ('{{ sv_indicator }}', '{{ drug_indicator }}')

),

sexual_violence as (

    select
        commune_code,
        max(rate_per_1000) filter (where year = {{ sv_reference_year }}) as sexual_violence_rate_reference_year,
        max(coalesce(rate_per_1000, fallback_rate_per_1000)) filter (where year = {{ sv_reference_year }})
            as sexual_violence_rate_reference_year_with_fallback,
        -- float means in a fixed order: bit-identical rebuilds
        avg(rate_per_1000 order by year) as sexual_violence_rate,
        avg(coalesce(rate_per_1000, fallback_rate_per_1000) order by year) as sexual_violence_rate_with_fallback,
        count(rate_per_1000)::integer as n_sexual_violence_years_published
    from crime
    where indicator = '{{ sv_indicator }}'
      and year between {{ sv_first_year }} and {{ sv_last_year }}
    group by commune_code

),

drug_use as (

    select
        commune_code,
        rate_per_1000 as drug_use_rate_commune,
        coalesce(rate_per_1000, fallback_rate_per_1000) as drug_use_rate,
        rate_per_1000 is null and fallback_rate_per_1000 is not null as is_drug_use_rate_fallback
    from crime
    where indicator = '{{ drug_indicator }}'
      and year = {{ drug_use_year }}

),

final as (

    select
        communes.commune_code,
        sexual_violence.sexual_violence_rate_reference_year,
        sexual_violence.sexual_violence_rate_reference_year_with_fallback,
        sexual_violence.sexual_violence_rate,
        sexual_violence.sexual_violence_rate_with_fallback,
        coalesce(sexual_violence.n_sexual_violence_years_published, 0) as n_sexual_violence_years_published,
        coalesce(sexual_violence.n_sexual_violence_years_published, 0) > 0 as is_sexual_violence_published,
        drug_use.drug_use_rate,
        drug_use.drug_use_rate_commune,
        drug_use.is_drug_use_rate_fallback
    from communes
    left join sexual_violence using (commune_code)
    left join drug_use using (commune_code)

)

select * from final
