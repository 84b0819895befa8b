{#- One row per service and top tile: the `top_tile_share` (0.1 %) of all (tile, service) pairs,
    n = floor(share × pairs), taken per service as the n tiles with the largest mean daily download
    volume × the commune's c (the study's `nlargest(n, traffic_mean × c)`; tiles outside every
    commune have no c and are never ranked). Ties broken by city and tile id. Intermediate only:
    tile ids never reach a report. -#}

with means as (

    select * from {{ ref('int_traffic__tile_service_means') }}

),

tiles as (

    select * from {{ ref('int_tiles__communes') }}

),

correction as (

    select * from {{ ref('int_communes__correction_factors') }}

),

n_top as (

    select floor(count(*) * {{ var('top_tile_share', 0.001) }})::bigint as n_top_per_service
    from means

),

scored as (

    select
        means.city,
        means.tile_id,
        means.service,
        tiles.commune_code,
        means.mean_daily_dl,
        correction.c,
        means.mean_daily_dl * correction.c as scaled_mean_daily_dl
    from means
    inner join tiles
        on tiles.city = means.city
       and tiles.tile_id = means.tile_id
    inner join correction
        on correction.commune_code = tiles.commune_code
    where tiles.is_assigned
      and correction.c is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by service
            order by scaled_mean_daily_dl desc, city asc, tile_id asc
        ) as tile_rank
    from scored

),

final as (

    select ranked.*
    from ranked
    cross join n_top
    where ranked.tile_rank <= n_top.n_top_per_service

)

select * from final
