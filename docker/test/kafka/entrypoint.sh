#!/bin/bash
# Starts one KRaft node the way apache/kafka's image does: variables it leaves unset take that
# image's defaults, every KAFKA_* variable becomes a server property (KAFKA_ dropped, lower case,
# "_" → ".", "__" → "_", "___" → "-"), the storage is formatted with CLUSTER_ID on the first start,
# and the JVM gets kafka-run-class.sh's default heap and GC settings unless KAFKA_HEAP_OPTS or
# KAFKA_JVM_PERFORMANCE_OPTS say otherwise.
set -euo pipefail

: "${CLUSTER_ID:=5L6g3nShT-eMCtK--X86sw}"
: "${KAFKA_NODE_ID:=1}"
: "${KAFKA_PROCESS_ROLES:=broker,controller}"
: "${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT}"
: "${KAFKA_LISTENERS:=PLAINTEXT://localhost:29092,CONTROLLER://localhost:29093,PLAINTEXT_HOST://0.0.0.0:9092}"
: "${KAFKA_ADVERTISED_LISTENERS:=PLAINTEXT://localhost:29092,PLAINTEXT_HOST://localhost:9092}"
: "${KAFKA_CONTROLLER_QUORUM_VOTERS:=1@localhost:29093}"
: "${KAFKA_CONTROLLER_LISTENER_NAMES:=CONTROLLER}"
: "${KAFKA_INTER_BROKER_LISTENER_NAME:=PLAINTEXT}"
: "${KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR:=1}"
: "${KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS:=0}"
: "${KAFKA_TRANSACTION_STATE_LOG_MIN_ISR:=1}"
: "${KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR:=1}"
: "${KAFKA_LOG_DIRS:=/tmp/kraft-combined-logs}"
export KAFKA_NODE_ID KAFKA_PROCESS_ROLES KAFKA_LISTENER_SECURITY_PROTOCOL_MAP KAFKA_LISTENERS \
  KAFKA_ADVERTISED_LISTENERS KAFKA_CONTROLLER_QUORUM_VOTERS KAFKA_CONTROLLER_LISTENER_NAMES \
  KAFKA_INTER_BROKER_LISTENER_NAME KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR \
  KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS KAFKA_TRANSACTION_STATE_LOG_MIN_ISR \
  KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR KAFKA_LOG_DIRS

config=/opt/kafka/config/server.properties
not_properties=" KAFKA_HEAP_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_OPTS KAFKA_LOG4J_OPTS KAFKA_JMX_OPTS KAFKA_GC_LOG_OPTS KAFKA_VERSION "
: >"$config"
while IFS='=' read -r name value; do
  case "$not_properties" in *" $name "*) continue ;; esac
  key="${name#KAFKA_}"
  key="$(printf '%s' "$key" | tr '[:upper:]' '[:lower:]' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')"
  printf '%s=%s\n' "$key" "$value" >>"$config"
done < <(env | grep -E '^KAFKA_[A-Z0-9_]+=' | sort)

java_opts=(
  ${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
  ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}
  -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties
  -cp '/opt/kafka/libs/*'
)
mkdir -p "$KAFKA_LOG_DIRS"
if [ ! -f "$KAFKA_LOG_DIRS/meta.properties" ]; then
  # A one-shot tool: a small heap and no optimising compiler start it in a fraction of the time.
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties \
    -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format --cluster-id "$CLUSTER_ID" --config "$config" --ignore-formatted
fi
exec java "${java_opts[@]}" kafka.Kafka "$config"
