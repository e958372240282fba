#!/usr/bin/env bash
# The compose shape's Kafka principals and what each may do (README, "Trust model"), made
# through the broker's loopback operator listener, which only this one-shot container (it
# shares the broker's network namespace) and the broker itself can reach. Idempotent: it runs
# at every start, and a password changed in the environment is changed here.
set -euo pipefail
B=127.0.0.1:9094
K=/opt/kafka/bin
TOPIC=${EKINO_KAFKA_TOPIC:-ekino.tickets}
SESSIONS=${EKINO_KAFKA_SESSIONS_TOPIC:-ekino.sessions}
PARTNERS=${EKINO_KAFKA_PARTNER_TOPIC:-ekino.partner_sales}
GROUP=${EKINO_KAFKA_GROUP:-ekino-ingest}

user() {
  "$K/kafka-configs.sh" --bootstrap-server "$B" --alter --entity-type users --entity-name "$1" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$2]" >/dev/null
}
allow() {
  "$K/kafka-acls.sh" --bootstrap-server "$B" --add --allow-principal "User:$1" "${@:2}" >/dev/null
}

user ekino_migrate "$EKINO_KAFKA_MIGRATE_PASSWORD"
user ekino_ingest "$EKINO_KAFKA_INGEST_PASSWORD"
user ekino_api "$EKINO_KAFKA_API_PASSWORD"

# `ekino migrate` (the operator) makes the topics; nobody else may.
allow ekino_migrate --operation Create --operation Describe --cluster
allow ekino_migrate --operation Create --operation Describe --topic "$TOPIC" --topic "$TOPIC.decisions" --topic "$SESSIONS" --topic "$PARTNERS"
# Ingest only consumes the ticket, sessions and partner topics, in its groups.
allow ekino_ingest --operation Read --operation Describe --topic "$TOPIC" --topic "$SESSIONS" --topic "$PARTNERS"
allow ekino_ingest --operation Read --group "$GROUP" --group "$GROUP.sessions" --group "$GROUP.partners"
# The API produces the uploads it accepted, and is the only reader and writer of claim
# decisions (its decider's group).
allow ekino_api --operation Write --operation Describe --topic "$TOPIC" --topic "$SESSIONS" --topic "$PARTNERS"
allow ekino_api --operation Read --operation Write --operation Describe --topic "$TOPIC.decisions"
allow ekino_api --operation Read --group "$GROUP-decider"
# Ticketing vendors ("name:password" pairs) may only produce to the ticket and sessions
# topics; ingest checks that each message is keyed by the cinema it names.
for pair in ${EKINO_KAFKA_VENDORS:-}; do
  name=${pair%%:*}
  user "vendor_$name" "${pair#*:}"
  allow "vendor_$name" --operation Write --operation Describe --topic "$TOPIC" --topic "$SESSIONS"
done
# Online ticket sellers ("partner_id:password" pairs) may only produce to the partner topic;
# ingest checks that each record is keyed by the partner it names.
for pair in ${EKINO_KAFKA_PARTNERS:-}; do
  name=${pair%%:*}
  user "partner_$name" "${pair#*:}"
  allow "partner_$name" --operation Write --operation Describe --topic "$PARTNERS"
done
echo "kafka principals and acls in place"
