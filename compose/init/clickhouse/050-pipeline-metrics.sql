-- Statistics of the running programs, for monitoring: one row per
-- statistics line (the JSON line every program prints with --stats or on
-- SIGUSR1), with the leg of the pipeline that ran it. A line
--   {"stats":"ch-insert","ts":"2026-11-01T08:15:02.000Z","rows_in":10,...}
-- is stored as
--   {"time":TS,"program":"ch-insert","leg":"process","instance":NAME,
--    "counters":{"rows_in":10,...}}
-- where instance tells apart the processes of one program in a leg (the
-- host, and the table or topic the process serves), for example with
--   jq -c --arg leg process --arg instance "$(hostname)/telecom.cdr" \
--     '{time: .ts, program: .stats, leg: $leg, instance: $instance,
--       counters: del(.ts, .stats)}'
-- and consume's lines (partitions with position, high and lag) as one row
-- per partition, with topic and partition set:
--   jq -c --arg leg process '.program as $p | .time as $t | .partitions[] |
--     {time: $t, program: $p, leg: $leg, topic, partition,
--      counters: {position, high, lag}}'
-- counters holds every counter as JSON text; the columns after it are
-- computed from it on insert, under one name whatever the program calls
-- them, the first counter present of: rows_in, lines_in, events_in,
-- messages_in (rows_in); rows_out, acked, changes_out, alerts_out
-- (rows_out); rows_rejected, rejected, rows_bad (rejected). Counters
-- count from the start of a process: throughput over a span is the rise
-- of the maximum.

CREATE TABLE IF NOT EXISTS telecom.pipeline_metrics (
	time DateTime,
	program String,
	leg String,
	instance String,
	topic String,
	partition Int32,
	counters String,
	rows_in Float64 MATERIALIZED multiIf(visitParamHas(counters, 'rows_in'), visitParamExtractFloat(counters, 'rows_in'),
		visitParamHas(counters, 'lines_in'), visitParamExtractFloat(counters, 'lines_in'),
		visitParamHas(counters, 'events_in'), visitParamExtractFloat(counters, 'events_in'),
		visitParamExtractFloat(counters, 'messages_in')),
	rows_out Float64 MATERIALIZED multiIf(visitParamHas(counters, 'rows_out'), visitParamExtractFloat(counters, 'rows_out'),
		visitParamHas(counters, 'acked'), visitParamExtractFloat(counters, 'acked'),
		visitParamHas(counters, 'changes_out'), visitParamExtractFloat(counters, 'changes_out'),
		visitParamExtractFloat(counters, 'alerts_out')),
	rejected Float64 MATERIALIZED multiIf(visitParamHas(counters, 'rows_rejected'), visitParamExtractFloat(counters, 'rows_rejected'),
		visitParamHas(counters, 'rejected'), visitParamExtractFloat(counters, 'rejected'),
		visitParamExtractFloat(counters, 'rows_bad')),
	lag Float64 MATERIALIZED visitParamExtractFloat(counters, 'lag'),
	_kafka_topic String,
	_kafka_partition Int32,
	_kafka_offset Int64,
	_kafka_ts Int64,
	inserted_at DateTime MATERIALIZED now()
) ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (program, leg, time);
