{#- A finding kind, as a SQL string literal: the way a model names one. Kinds are defined once, in the
    seed ref_finding_kinds; tests/test_single_sources.py checks that each kind named here is one of the
    seed's (a LIKE pattern, e.g. 'penalty_hrss_%', matches at least one) and that no model spells a kind
    any other way, and int_credit__findings tests the kinds it produces against the seed (relationships).
    finding_kinds(kinds) is the parenthesised list of several, for `in`. -#}
{% macro finding_kind(kind) -%}
    '{{ kind }}'
{%- endmacro %}

{% macro finding_kinds(kinds) -%}
    ('{{ kinds | join("', '") }}')
{%- endmacro %}
