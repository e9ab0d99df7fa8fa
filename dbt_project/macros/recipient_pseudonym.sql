{#- A worker pseudonym for one recipient agency: the keyed pseudonym of '<recipient>:<worker_key>'
    (ingestion.pseudonyms.recipient_pseudonym), so two agencies cannot join their extracts on the worker
    (PIPL minimisation); the operator, who holds the key, can still re-identify on a lawful request. -#}
{% macro recipient_pseudonym(worker_key_column, recipient) -%}
    {%- if not (recipient is string and modules.re.fullmatch('[a-z_]+', recipient)) -%}
        {{ exceptions.raise_compiler_error("recipient_pseudonym: the recipient is an agency code such as 'hrss', got '" ~ recipient ~ "'") }}
    {%- endif -%}
    {{ pseudonymise("'" ~ recipient ~ ":' || " ~ worker_key_column) }}
{%- endmacro %}
