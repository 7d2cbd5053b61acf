-- Mirrors of the five system-of-record tables, filled from change records
-- (Debezium's envelope, as binlog2jsonl and pgcdc2jsonl write them): one
-- row per change, the row image's columns (after; before for a delete),
-- the envelope (op, ts_ms, source.*), and __deleted = 1 for a delete.
--
-- ReplacingMergeTree on _version, the change's source position as one
-- number, keeps the latest change per primary key when parts merge:
--   MySQL:      binlog file number << 48 | pos << 16 | row (row capped at
--               65535, pos at 2^32-1: within one transaction of more rows
--               than that, changes of one key tie, and the last inserted wins;
--               snapshot records count as row 0, so that a change at the
--               snapshot's position ties with them and, inserted later, wins)
--   PostgreSQL: the commit LSN of the change's transaction, the first
--               number of source_sequence (["COMMIT","LSN"]; [null,"POINT"]
--               for a snapshot record), or source_lsn without one: changes
--               of one row commit in the order of their commit LSNs, not
--               always of their own LSNs. ch-insert keeps a record's full
--               position in source_sequence and source_row (its ordinal in
--               the transaction or the snapshot).
-- The sorting key is the source table's primary key alone (a row whose
-- customer_id changes is still one row), with no partitioning (parts of
-- different partitions never merge). The current state of a table is
--   SELECT ... FROM telecom.T FINAL WHERE __deleted = 0
-- which the *_current views give. CDC freshness is inserted_at minus
-- source_ts_ms (the commit time on the source server).

CREATE TABLE IF NOT EXISTS telecom.customer_profiles (
	customer_id String,
	customer_name String,
	age Nullable(Int32),
	gender String,
	location String,
	account_creation_date Nullable(Date),
	plan_type String,
	monthly_spending Nullable(Decimal(10, 2)),
	credit_score Nullable(Int32),
	avg_payment_delay Nullable(Int32),
	last_updated Nullable(DateTime),
	op String,
	__deleted UInt8,
	ts_ms UInt64,
	source_ts_ms UInt64,
	source_snapshot String,
	source_db String,
	source_table String,
	source_name String,
	source_server_id UInt32,
	source_gtid String,
	source_file String,
	source_pos UInt64,
	source_row UInt32,
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	_version UInt64 MATERIALIZED bitShiftLeft(toUInt64OrZero(extract(source_file, '([0-9]+)$')), 48)
		+ bitShiftLeft(least(source_pos, 4294967295), 16)
		+ if(source_snapshot IN ('true', 'last'), 0, least(source_row, 65535)),
	inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree(_version)
ORDER BY customer_id;

CREATE TABLE IF NOT EXISTS telecom.device_information (
	device_id Int64,
	customer_id String,
	device_model String,
	os_version String,
	imei String,
	device_status String,
	last_updated Nullable(DateTime),
	op String,
	__deleted UInt8,
	ts_ms UInt64,
	source_ts_ms UInt64,
	source_snapshot String,
	source_db String,
	source_table String,
	source_name String,
	source_server_id UInt32,
	source_gtid String,
	source_file String,
	source_pos UInt64,
	source_row UInt32,
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	_version UInt64 MATERIALIZED bitShiftLeft(toUInt64OrZero(extract(source_file, '([0-9]+)$')), 48)
		+ bitShiftLeft(least(source_pos, 4294967295), 16)
		+ if(source_snapshot IN ('true', 'last'), 0, least(source_row, 65535)),
	inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree(_version)
ORDER BY device_id;

CREATE TABLE IF NOT EXISTS telecom.payment_transactions (
	transaction_id Int64,
	customer_id String,
	transaction_date Nullable(DateTime),
	amount Nullable(Decimal(10, 2)),
	payment_method String,
	status String,
	created_at Nullable(DateTime),
	op String,
	__deleted UInt8,
	ts_ms UInt64,
	source_ts_ms UInt64,
	source_snapshot String,
	source_db String,
	source_table String,
	source_name String,
	source_schema String,
	source_lsn UInt64,
	source_txId UInt64,
	source_sequence String,
	source_row UInt64,
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	_version UInt64 MATERIALIZED if(empty(source_sequence), source_lsn,
		toUInt64OrZero(extract(source_sequence, '([0-9]+)'))),
	inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree(_version)
ORDER BY transaction_id;

CREATE TABLE IF NOT EXISTS telecom.customer_behavior (
	behavior_id Int64,
	customer_id String,
	avg_session_duration Nullable(Int32),
	app_usage_hours Nullable(Decimal(5, 2)),
	favorite_service String,
	last_login Nullable(DateTime),
	created_at Nullable(DateTime),
	op String,
	__deleted UInt8,
	ts_ms UInt64,
	source_ts_ms UInt64,
	source_snapshot String,
	source_db String,
	source_table String,
	source_name String,
	source_schema String,
	source_lsn UInt64,
	source_txId UInt64,
	source_sequence String,
	source_row UInt64,
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	_version UInt64 MATERIALIZED if(empty(source_sequence), source_lsn,
		toUInt64OrZero(extract(source_sequence, '([0-9]+)'))),
	inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree(_version)
ORDER BY behavior_id;

CREATE TABLE IF NOT EXISTS telecom.complaints_feedback (
	complaint_id Int64,
	customer_id String,
	complaint_type String,
	severity String,
	status String,
	created_at Nullable(DateTime),
	resolved_at Nullable(DateTime),
	op String,
	__deleted UInt8,
	ts_ms UInt64,
	source_ts_ms UInt64,
	source_snapshot String,
	source_db String,
	source_table String,
	source_name String,
	source_schema String,
	source_lsn UInt64,
	source_txId UInt64,
	source_sequence String,
	source_row UInt64,
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	_version UInt64 MATERIALIZED if(empty(source_sequence), source_lsn,
		toUInt64OrZero(extract(source_sequence, '([0-9]+)'))),
	inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree(_version)
ORDER BY complaint_id;
