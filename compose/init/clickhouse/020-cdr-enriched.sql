-- Call detail records as enrich joined them and detect tagged them
-- (`detect --tag`): the CDR's columns, the customer's profile (customer.*),
-- the active device on record (device.*), the payment history
-- (payments.*), the latest behaviour row (behavior.*) and the open
-- complaints (complaints.*), as pipelines/enrich.conf names them, flattened
-- with '_', and the rules the CDR fired. Nullable where a left join can
-- miss: a missing table is null, not zero. flagged is 1 when the CDR fired
-- a rule.

CREATE TABLE IF NOT EXISTS telecom.cdr_enriched (
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
	customer_customer_name Nullable(String),
	customer_age Nullable(Int32),
	customer_gender Nullable(String),
	customer_location Nullable(String),
	customer_account_creation_date Nullable(Date),
	customer_plan_type Nullable(String),
	customer_monthly_spending Nullable(Decimal(10, 2)),
	customer_credit_score Nullable(Int32),
	customer_avg_payment_delay Nullable(Int32),
	customer_last_updated Nullable(DateTime),
	customer_account_age_days Nullable(Int32),
	device_device_id Nullable(Int64),
	device_device_model Nullable(String),
	device_os_version Nullable(String),
	device_imei Nullable(String),
	device_device_status Nullable(String),
	device_last_updated Nullable(DateTime),
	device_imei_match Nullable(UInt8),
	payments_failed_30d Nullable(UInt32),
	payments_count_30d Nullable(UInt32),
	payments_last_status Nullable(String),
	behavior_avg_session_duration Nullable(Int32),
	behavior_app_usage_hours Nullable(Decimal(5, 2)),
	behavior_favorite_service Nullable(String),
	behavior_last_login Nullable(DateTime),
	complaints_open Nullable(UInt32),
	complaints_open_high Nullable(UInt32),
	complaints_latest_severity Nullable(String),
	rules Array(String),
	flagged UInt8 MATERIALIZED notEmpty(rules),
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(start_time)
ORDER BY (customer_id, start_time);
