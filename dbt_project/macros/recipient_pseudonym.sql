{#- A worker pseudonym for one recipient agency: the keyed pseudonym again, salted with the recipient,
    so two agencies cannot join their extracts on the worker (PIPL minimisation); the operator, who holds
    the key, can still re-identify on a lawful request. -#}
{% macro recipient_pseudonym(worker_key_column, recipient) -%}
    {{ pseudonymise("'" ~ recipient ~ ":' || " ~ worker_key_column) }}
{%- endmacro %}
