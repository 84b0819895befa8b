{#- One row per small input: records read from the file = records kept + quarantined + excluded with a
    named reason. Nothing is dropped silently. -#}

{%- set inputs = [
    ('ssmsi_commune_crime', 'base_ssmsi__commune_crime', "null"),
    ('insee_department_unemployment', 'base_insee__department_unemployment', "null"),
    ('insee_epci_poverty', 'base_insee__epci_poverty', "null"),
    ('insee_commune_indicators', 'base_insee__commune_indicators', "null"),
    ('elections_presidential_2017', 'base_elections__presidential_2017_communes', "'overseas or abroad (study excludes)'"),
    ('overture_places', 'base_overture__places', "null"),
    ('gtrends_region_search_terms', 'base_gtrends__region_search_terms', "null"),
    ('cybertipline_reports', 'base_cybertipline__reports_per_country', "null"),
] %}
{%- set with_code_repair = ['base_ssmsi__commune_crime', 'base_insee__department_unemployment', 'base_insee__commune_indicators'] %}

with quarantine as (

    select input_name, count(*) as n_quarantine_rows
    from {{ ref('int_small_inputs__quarantine') }}
    group by input_name

),

counts as (

    {% for input_name, model, excluded_reason in inputs %}
    select
        '{{ input_name }}' as input_name,
        count(*) as n_read,
        count(*) filter (where is_kept) as n_kept,
        count(*) filter (where rejection_reason is not null) as n_quarantined,
        count(*) filter (where rejection_reason is null and not is_kept) as n_excluded,
        {{ excluded_reason }}::varchar as excluded_reason,
        count(*) filter (where is_code_repaired) as n_codes_repaired
    from (
        select *{% if model not in with_code_repair %}, false as is_code_repaired{% endif %}
        from {{ ref(model) }}
    )
    {{ 'union all' if not loop.last }}
    {% endfor %}

),

ign_counts as (

    {#- The IGN commune and district polygons (a feature is a record). -#}
    {% for input_name, model in [('ign_communes', 'base_ign__communes'), ('ign_municipal_districts', 'base_ign__municipal_districts')] %}
    select
        '{{ input_name }}' as input_name,
        count(*) as n_read,
        count(*) filter (where is_kept) as n_kept,
        count(*) filter (where rejection_reason is not null) as n_quarantined,
        count(*) filter (where rejection_reason is null and not is_kept) as n_excluded,
        null::varchar as excluded_reason,
        count(*) filter (where is_code_repaired) as n_codes_repaired
    from {{ ref(model) }}
    {{ 'union all' if not loop.last }}
    {% endfor %}

),

final as (

    select
        counts.*,
        coalesce(quarantine.n_quarantine_rows, 0) as n_quarantine_rows,
        counts.n_read = counts.n_kept + counts.n_quarantined + counts.n_excluded
            and counts.n_quarantined = coalesce(quarantine.n_quarantine_rows, 0) as is_balanced
    from (
        select * from counts
        union all
        select * from ign_counts
    ) as counts
    left join quarantine using (input_name)

)

select * from final
