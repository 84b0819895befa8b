{#- An analyst's starting point (compiled by `dbt compile`, not materialised): one row per urban area
    with its communes, kept hours, mean rho, floored communes and the cpc-per-1000 spread.
    Exploratory area-level associations only: no individual or causal meaning. -#}

with summary as (

    select * from {{ ref('commune_summary') }}

),

final as (

    select
        city,
        count(*) as n_communes,
        count(*) filter (where is_small_population) as n_small_population,
        max(n_hours) as n_kept_hours,
        round(avg(rho), 4) as mean_rho,
        count(*) filter (where is_rho_floored) as n_rho_floored,
        round(median(cpc_per_1000), 1) as median_cpc_per_1000,
        round(max(cpc_per_1000), 1) as max_cpc_per_1000,
        count(*) filter (where is_sexual_violence_published) as n_sexual_violence_published
    from summary
    group by city
    order by city

)

select * from final
