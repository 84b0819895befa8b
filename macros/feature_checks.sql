{#- Which feature of a layer is kept when several share a code: one rule for the commune and the
    municipal-district layers (base_ign__communes, base_ign__municipal_districts). -#}

{% macro first_usable_feature_per_code(relation, code) -%}
    {#- Every column of `relation` (which has feature_number and own_rejection_reason, null when the
        feature is usable), plus rejection_reason and is_kept: among the usable features sharing a
        code, the first in the file is kept; each later one is set aside as a duplicate naming the
        feature kept. A feature with a reason of its own keeps that reason. -#}
    select
        *,
        coalesce(
            own_rejection_reason,
            case when feature_number > first_feature_number
                then 'duplicate commune code (feature ' || first_feature_number || ' kept)' end
        ) as rejection_reason,
        own_rejection_reason is null and feature_number = first_feature_number as is_kept
    from (
        select
            *,
            min(feature_number) over (partition by {{ code }}, own_rejection_reason is null) as first_feature_number
        from {{ relation }}
    )
{%- endmacro %}
