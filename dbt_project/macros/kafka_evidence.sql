{#- The Kafka coordinates and envelope facts every staged row keeps: the evidence trail to the source message. -#}
{% macro kafka_evidence() -%}
    _topic as kafka_topic,
    _partition as kafka_partition,
    _offset as kafka_offset,
    _message_id as message_id,
    _record_index as record_index,
    _source_agency as source_agency,
    _contract_version as contract_version,
    _produced_at as produced_at,
    _loaded_at as loaded_at
{%- endmacro %}
