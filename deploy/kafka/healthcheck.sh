#!/usr/bin/env bash
# The kafka service's healthcheck: an authenticated ApiVersions round trip as gigshield-admin on the
# INTERNAL listener (the broker is up, SASL works, the super user's credentials are the ones configured).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/admin-client.sh"
kafka-broker-api-versions.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" >/dev/null
