{#- A pseudonym column holds 64 lowercase hex characters (sha256), never a raw identifier. -#}
{% test is_pseudonym(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null and not regexp_full_match({{ column_name }}, '[0-9a-f]{64}')
{% endtest %}
