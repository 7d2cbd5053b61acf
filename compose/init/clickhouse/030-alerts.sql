-- Alerts as detect writes them (detect(1), "Alerts"). alert_id is a hash
-- of the rule, the key and the first event: the same alert written again
-- after a replay has the same alert_id, and ReplacingMergeTree keeps one
-- row per alert (the latest detected_at) when parts merge; queries count
-- uniqExact(alert_id) or read FINAL so that a replay not yet merged is not
-- counted twice. evidence is the evidence object as JSON text
-- (visitParamExtract* reads it). Alerts read back from a Kafka topic
-- carry _kafka_* positions like any other record.

CREATE TABLE IF NOT EXISTS telecom.alerts (
	alert_id String,
	rule String,
	severity String,
	key String,
	customer_id String,
	msisdn String,
	stream String,
	event_time DateTime,
	window_start Nullable(DateTime),
	score Nullable(Float64),
	description String,
	evidence String,
	event_ids Array(String),
	event_count UInt32,
	count UInt32,
	last_event_time DateTime,
	detected_at DateTime,
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree(detected_at)
PARTITION BY toYYYYMM(event_time)
ORDER BY (rule, customer_id, alert_id);
