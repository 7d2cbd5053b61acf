# shellcheck shell=bash
# tests/data/detect/events.sh: small builders of enriched events for the
# detect tests. Times are seconds after 2026-11-01T00:00:00Z (< 28 days).

# T OFFSET: the ISO time OFFSET seconds after the base.
T() {
	_o=$1
	printf '2026-11-%02dT%02d:%02d:%02dZ' $((1 + _o / 86400)) \
		$((_o % 86400 / 3600)) $((_o % 3600 / 60)) $((_o % 60))
}

# cdr ID CUST MSISDN OTHER DIR TYPE TIME DUR ANSWERED CHARGE [EXTRA]
# EXTRA is raw JSON members, starting with a comma.
cdr() {
	printf '{"cdr_id":"%s","customer_id":"%s","msisdn":"%s","other_msisdn":"%s","direction":"%s","call_type":"%s","start_time":"%s","duration_s":%s,"answered":%s,"charge":%s%s,"_kafka":{"topic":"telecom-cdr"}}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$(T "$7")" "$8" "$9" "${10}" "${11:-}"
}

# sdr ID IMSI EVENT_TYPE TIME
sdr() {
	printf '{"sdr_id":"%s","customer_id":"C9","imsi":"%s","msisdn":"M9","event_time":"%s","event_type":"%s","protocol":"MAP","cell_id":"X1","result_code":1,"_kafka":{"topic":"telecom-sdr"}}\n' \
		"$1" "$2" "$(T "$4")" "$3"
}

# loc CUST TIME LAT LON
loc() {
	printf '{"customer_id":"%s","msisdn":"M1","event_time":"%s","cell_id":"X1","latitude":%s,"longitude":%s,"country":"GB","_kafka":{"topic":"telecom-location"}}\n' \
		"$1" "$(T "$2")" "$3" "$4"
}

# sec ID CUST EVENT_TYPE TIME
sec() {
	printf '{"event_id":"%s","customer_id":"%s","event_time":"%s","event_type":"%s","imei":"I1","imsi":"S1","source_ip":"10.0.0.1","channel":"web","_kafka":{"topic":"telecom-security"}}\n' \
		"$1" "$2" "$(T "$4")" "$3"
}

# svc ID CUST SERVICE_TYPE AMOUNT TIME [EXTRA]
svc() {
	printf '{"usage_id":"%s","customer_id":"%s","event_time":"%s","service_type":"%s","service_name":"x","amount":%s,"units":1%s,"_kafka":{"topic":"telecom-service"}}\n' \
		"$1" "$2" "$(T "$5")" "$3" "$4" "${6:-}"
}

# alerts_of RULE FILE: how many alerts of RULE, and the sum of their counts
alerts_of() {
	jq -r --arg r "$1" 'select(.rule == $r) | .count' "$2" |
		awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'
}
