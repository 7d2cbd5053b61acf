-- The six event streams of data-contract.md, one table per topic, one row
-- per event. Partitioned by day of event time (old days are dropped with
-- ALTER TABLE ... DROP PARTITION: 18.16 has no TTL), sorted by customer
-- (cell for network metrics) and time. rules: the rules an event fired
-- when it is stored from `detect --tag` (empty otherwise).

CREATE TABLE IF NOT EXISTS telecom.cdr (
	cdr_id String,
	customer_id String,
	msisdn String,
	other_msisdn String,
	direction String,
	call_type String,
	start_time DateTime,
	duration_s UInt32,
	answered UInt8,
	cell_id String,
	imei String,
	imsi String,
	destination_country String,
	roaming UInt8,
	visited_country String,
	charge Decimal(10, 2),
	rules Array(String),
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(start_time)
ORDER BY (customer_id, start_time);

CREATE TABLE IF NOT EXISTS telecom.sdr (
	sdr_id String,
	customer_id String,
	imsi String,
	msisdn String,
	event_time DateTime,
	event_type String,
	protocol String,
	cell_id String,
	result_code Int32,
	rules Array(String),
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (customer_id, event_time);

CREATE TABLE IF NOT EXISTS telecom.location (
	customer_id String,
	msisdn String,
	event_time DateTime,
	cell_id String,
	latitude Float64,
	longitude Float64,
	country String,
	rules Array(String),
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (customer_id, event_time);

CREATE TABLE IF NOT EXISTS telecom.network (
	cell_id String,
	event_time DateTime,
	cpu_load Float32,
	call_drop_rate Float32,
	latency_ms UInt32,
	throughput_mbps Float32,
	active_subscribers UInt32,
	rules Array(String),
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (cell_id, event_time);

CREATE TABLE IF NOT EXISTS telecom.security (
	event_id String,
	customer_id String,
	event_time DateTime,
	event_type String,
	imei String,
	imsi String,
	source_ip String,
	channel String,
	rules Array(String),
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (customer_id, event_time);

CREATE TABLE IF NOT EXISTS telecom.service (
	usage_id String,
	customer_id String,
	event_time DateTime,
	service_type String,
	service_name String,
	amount Decimal(10, 2),
	units Int32,
	rules Array(String),
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (customer_id, event_time);
