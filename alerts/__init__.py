"""Inspectorate alerts: the cases of marts.fct_inspectorate_alerts, raised, updated and closed night by
night through an outbox in the warehouse (schema alerts), and delivered to Kafka, e-mail and a webhook.

- contract: the alert message's ODCS contract (contracts/alerts/) and the check every message passes.
- settings: where alerts go (environment).
- outbox: the nightly diff of the mart against the alerts' state, writing revisions and deliveries.
- channels: the Kafka, SMTP and webhook senders, and the e-mail's text.
- delivery: sending what is pending, with retries; nothing leaves the outbox until it is delivered.
(The DAG's two alert steps, update_alerts(day) then deliver_alerts(), are in orchestration.alert_steps.)
"""
