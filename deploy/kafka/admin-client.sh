# Sourced by kafka-init.sh and healthcheck.sh inside an apache/kafka container: the command-line tools'
# client configuration as the super user gigshield-admin (SASL/PLAIN on the INTERNAL listener, which
# only the compose network reaches). The password comes from GIGSHIELD_KAFKA_ADMIN_PASSWORD (compose:
# KAFKA_ADMIN_PASSWORD) and is written to a private temporary file, never to the image or the volume.
export PATH="/opt/kafka/bin:$PATH"
BOOTSTRAP="${GIGSHIELD_KAFKA_ADMIN_BOOTSTRAP:-kafka:9092}"
ADMIN_CONFIG="$(umask 077 && mktemp /tmp/gigshield-admin.XXXXXX.properties)"
trap 'rm -f "$ADMIN_CONFIG"' EXIT
cat > "$ADMIN_CONFIG" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="gigshield-admin" password="${GIGSHIELD_KAFKA_ADMIN_PASSWORD:?GIGSHIELD_KAFKA_ADMIN_PASSWORD is not set}";
PROPERTIES
