-- Work-safety incidents involving platform workers, one row per incident.
select
    incident_id,
    enterprise_uscc,
    {{ pseudonymise('worker_id_number') }} as worker_key,
    region_code,
    incident_at,
    reported_at,
    incident_type,
    severity,
    deaths,
    injuries,
    severe_weather as is_severe_weather,
    {{ kafka_evidence() }}
from {{ released_rows('emergency__safety_incident') }}
