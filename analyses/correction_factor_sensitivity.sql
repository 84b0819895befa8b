{#- How the estimate moves with the onion share s_onion (the study's 0.011 and the code's middle
    and upper alternatives 0.034 and 0.078): total cpc and its per-1000 mean per scenario.
    Compiled by `dbt compile`; run the compiled SQL against the warehouse. -#}

with summary as (

    select * from {{ ref('commune_summary') }}

),

scenarios as (

    select unnest({{ var('s_onion_scenarios') }}) as s_onion

),

final as (

    select
        scenarios.s_onion,
        sum(summary.c / {{ var('s_onion') }} * scenarios.s_onion * summary.tor_dl) as total_cpc,
        avg(summary.c / {{ var('s_onion') }} * scenarios.s_onion * summary.tor_dl / summary.population * 1000)
            as mean_cpc_per_1000
    from summary
    cross join scenarios
    group by scenarios.s_onion
    order by scenarios.s_onion

)

select * from final
