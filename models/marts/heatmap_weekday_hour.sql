{#- One row per scope, ISO day of week and local hour (Fig. 3 and 4 of the study): download volumes
    of YouTube, Web_Adult and Tor, and Tor × c, summed over the kept days and the scope's communes.
    Scopes: `all_communes`; `top_10_cpc` (the ten communes with the largest cpc per 1000);
    `top_cpc_1`..`top_cpc_3` (each of the three largest alone, named). Communes only, never tiles.
    Exploratory area-level associations: no individual or causal meaning. -#}

with commune_hour as (

    select * from {{ ref('int_traffic__commune_hours') }}

),

summary as (

    select * from {{ ref('int_communes__estimates') }}

),

cpc_ranks as (

    select
        commune_code,
        commune_name,
        c,
        row_number() over (order by cpc_per_1000 desc, commune_code asc) as cpc_rank
    from summary
    where cpc_per_1000 is not null

),

scopes as (

    select commune_code, 'all_communes' as scope, null::integer as scope_rank, c from summary
    union all
    select commune_code, 'top_10_cpc' as scope, null::integer as scope_rank, c from cpc_ranks where cpc_rank <= 10
    union all
    select commune_code, 'top_cpc_' || cpc_rank as scope, cpc_rank::integer as scope_rank, c from cpc_ranks where cpc_rank <= 3

),

scope_names as (

    select
        scopes.scope,
        any_value(scopes.scope_rank) as scope_rank,
        count(*) as n_communes,
        case when count(*) = 1 then any_value(scopes.commune_code) end as commune_code,
        case when count(*) = 1 then any_value(cpc_ranks.commune_name) end as commune_name
    from scopes
    left join cpc_ranks using (commune_code)
    group by scopes.scope

),

sums as (

    select
        scopes.scope,
        commune_hour.iso_day_of_week,
        commune_hour.hour_of_day,
        count(distinct commune_hour.traffic_date) as n_days,
        sum(commune_hour.youtube_dl) as youtube_dl,
        sum(commune_hour.web_adult_dl) as web_adult_dl,
        sum(commune_hour.tor_dl) as tor_dl,
        -- a float sum in a fixed order: bit-identical rebuilds (integer-valued sums are exact anyway)
        sum(commune_hour.tor_dl * scopes.c order by commune_hour.commune_code, commune_hour.traffic_date) as tor_scaled_dl
    from commune_hour
    inner join scopes using (commune_code)
    group by all

),

final as (

    select
        sums.scope,
        scope_names.scope_rank,
        scope_names.n_communes,
        scope_names.commune_code,
        scope_names.commune_name,
        sums.iso_day_of_week,
        sums.hour_of_day,
        sums.n_days,
        sums.youtube_dl,
        sums.web_adult_dl,
        sums.tor_dl,
        sums.tor_scaled_dl,
        {{ processing_profile_columns() }}
    from sums
    inner join scope_names using (scope)

)

select * from final
