#!/usr/bin/env bash
# GENERATED from contracts/inbound/*.odcs.yaml by `python -m ingestion.kafka_acls > deploy/kafka/kafka-init.sh`:
# do not edit (tests/test_kafka_acls.py fails when it is stale). Run once per start by the kafka-init
# service of docker-compose.yml, as the super user gigshield-admin; every step is idempotent.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/admin-client.sh"

topic() {
  kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" \
    --create --if-not-exists --topic "$1" --partitions 3 --replication-factor 1
}
scram_user() {  # name, password variable
  local password="${!2:?$2 is not set: the password of Kafka user $1}"
  if [[ ! $password =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then  # kafka-configs.sh splits on , [ ] and =
    echo "kafka-init: $2 must be at least 16 of A-Z a-z 0-9 . _ ~ - (e.g. openssl rand -hex 24)" >&2; exit 2
  fi
  kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" --entity-type users --entity-name "$1"
}
allow() {  # principal, then kafka-acls.sh operation and resource options
  local principal=$1; shift
  kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add \
    --allow-principal "User:$principal" "$@"
}

# Topics: one per feed contract, and the alert outbox.
topic court.case.v1
topic emergency.safety_incident.v1
topic hrss.blacklist_case_event.v1
topic hrss.complaint_event.v1
topic hrss.complaint_event.v2
topic hrss.employment_ledger.v1
topic hrss.inspection_order.v1
topic hrss.service_time.v1
topic hrss.unpaid_worker_roster.v1
topic hrss.wage_payment.v1
topic nhsa.medical_enrolment.v1
topic samr.enterprise.v1
topic samr.penalty.v1
topic transport.licence.v1
topic gigshield.inspectorate_alert.v1

# SCRAM-SHA-512 users: the loader and every agency that publishes a feed.
scram_user gigshield-loader GIGSHIELD_KAFKA_PASSWORD_GIGSHIELD_LOADER
scram_user court GIGSHIELD_KAFKA_PASSWORD_COURT
scram_user emergency GIGSHIELD_KAFKA_PASSWORD_EMERGENCY
scram_user hrss GIGSHIELD_KAFKA_PASSWORD_HRSS
scram_user nhsa GIGSHIELD_KAFKA_PASSWORD_NHSA
scram_user samr GIGSHIELD_KAFKA_PASSWORD_SAMR
scram_user transport GIGSHIELD_KAFKA_PASSWORD_TRANSPORT
scram_user unions GIGSHIELD_KAFKA_PASSWORD_UNIONS

# ACLs (whatever is not allowed here is denied).
allow court --operation Describe --operation Write --topic court.case.v1
allow emergency --operation Describe --operation Write --topic emergency.safety_incident.v1 --topic samr.penalty.v1
allow gigshield-loader --operation Describe --operation Read --topic court.case.v1 --topic emergency.safety_incident.v1 --topic hrss.blacklist_case_event.v1 --topic hrss.complaint_event.v1 --topic hrss.complaint_event.v2 --topic hrss.employment_ledger.v1 --topic hrss.inspection_order.v1 --topic hrss.service_time.v1 --topic hrss.unpaid_worker_roster.v1 --topic hrss.wage_payment.v1 --topic nhsa.medical_enrolment.v1 --topic samr.enterprise.v1 --topic samr.penalty.v1 --topic transport.licence.v1
allow gigshield-loader --operation Describe --operation Write --topic gigshield.inspectorate_alert.v1
allow hrss --operation Describe --operation Read --topic gigshield.inspectorate_alert.v1
allow hrss --operation Describe --operation Write --topic hrss.blacklist_case_event.v1 --topic hrss.complaint_event.v1 --topic hrss.complaint_event.v2 --topic hrss.employment_ledger.v1 --topic hrss.inspection_order.v1 --topic hrss.service_time.v1 --topic hrss.unpaid_worker_roster.v1 --topic hrss.wage_payment.v1 --topic samr.penalty.v1
allow hrss --operation Read --resource-pattern-type prefixed --group hrss.
allow nhsa --operation Describe --operation Write --topic nhsa.medical_enrolment.v1 --topic samr.penalty.v1
allow samr --operation Describe --operation Write --topic samr.enterprise.v1 --topic samr.penalty.v1
allow transport --operation Describe --operation Write --topic samr.penalty.v1 --topic transport.licence.v1
allow unions --operation Describe --operation Write --topic hrss.complaint_event.v1 --topic hrss.complaint_event.v2

echo "kafka-init: topics, users and ACLs are in place"
