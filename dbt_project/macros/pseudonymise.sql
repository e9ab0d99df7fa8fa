{#- A keyed pseudonym for a personal identifier (PIPL: join on pseudonyms, keep raw identifiers at the edge):
    HMAC-SHA256 of the identifier, 64 lowercase hex characters; NULL stays NULL. gs_pseudonym is a DuckDB
    function registered on dbt's connections by the plugin transform.pseudonym_plugin, with the key of
    the dbt process's environment: the key is never in SQL, dbt vars or artifacts. -#}
{% macro pseudonymise(column) -%}
    gs_pseudonym(cast({{ column }} as varchar))
{%- endmacro %}
