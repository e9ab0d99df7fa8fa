-- The government's performance on wage-arrears leads (欠薪线索): one row per lead and handling step, with the
-- handling unit, the region and jurisdiction, and the inspectorate of that region (ref_labour_inspectorates,
-- 劳动保障监察条例 Art.13). Gaoqing's 当日受理、次日对接、3日反馈 (高人社发〔2022〕5号 (seed 004) (五)) and any other
-- jurisdiction's complaint_*_days rows (ref_policy_parameters) are the deadlines; a step done late stays a late
-- step here (step_status 'done_late') after it was done. A duty of the labour department, never an
-- enterprise's credit finding (int_credit__findings has no complaint arm).
select
    s.lead_step_key,
    s.complaint_id,
    s.step,
    s.step_order,
    s.handling_unit,
    s.region_code,
    s.jurisdiction,
    i.inspectorate_name,
    s.respondent_uscc,
    s.platform_uscc,
    s.received_date,
    s.allowed_days,
    s.deadline,
    s.done_at,
    s.done_on,
    s.is_late,
    s.days_late,
    s.step_status,
    s.is_closed,
    s.conclusion,
    s.rule_version,
    s.evidence_topic,
    s.evidence_message_id,
    s.evidence_record_index,
    {{ as_of_date() }} as as_of_date
from {{ ref('int_hrss__complaint_lead_steps') }} s
left join {{ ref('ref_labour_inspectorates') }} i on i.region_code = s.region_code
