#!/bin/bash
test_description='schemas, CDC users, load-databases and apply-changes on a real MariaDB and PostgreSQL'
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lib-mysql.sh
. "$TEST_DIR/lib-mysql.sh"
# shellcheck source=tests/lib-pg.sh
. "$TEST_DIR/lib-pg.sh"

my_start || error "MariaDB did not start"
pg_start || error "PostgreSQL did not start"
INIT=$TOP/compose/init
LOAD=$TOP/pipelines/load-databases
APPLY=$TOP/pipelines/apply-changes

telco-gen --seed 1 --customers 200 --days 1 --changes changes.jsonl -o data ||
	error "telco-gen failed"

# dump.sh: every table as tab-separated rows ordered by key, NULL as \N, for
# compare.py and for before/after comparisons.
dump_all() {
	my_q crm 'SELECT * FROM customer_profiles ORDER BY customer_id' >"$1.customer_profiles" &&
	my_q crm 'SELECT * FROM device_information ORDER BY device_id' >"$1.device_information" &&
	for t in payment_transactions:transaction_id customer_behavior:behavior_id; do
		pg_q billing "SELECT * FROM ${t%:*} ORDER BY ${t#*:}" -P null='NULL' >"$1.${t%:*}" || return 1
	done &&
	pg_q care 'SELECT * FROM complaints_feedback ORDER BY complaint_id' -P null='NULL' \
		>"$1.complaints_feedback"
}

# compare.py DUMP TABLE...: each CSV row of data/TABLE.csv is the database's
# row, value by value (times as the databases print them, decimals as numbers).
cat >compare.py <<'EOF'
import csv, re, sys
from decimal import Decimal, InvalidOperation
dump, tables = sys.argv[1], sys.argv[2:]
bad = 0
def norm(v):
    if v in ("", "NULL"): return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)Z?", v)
    if m: return m.group(1) + " " + m.group(2)
    if re.fullmatch(r"-?\d+(\.\d+)?", v):
        try: return Decimal(v)
        except InvalidOperation: pass
    return v
for t in tables:
    with open(f"data/{t}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    db = [l.rstrip("\n").split("\t") for l in open(f"{dump}.{t}", encoding="utf-8")]
    if len(db) != len(rows):
        print(f"{t}: {len(rows)} rows in the file, {len(db)} in the database"); bad += 1; continue
    key = lambda r: Decimal(r[0]) if re.fullmatch(r"\d+", r[0]) else r[0]
    for a, b in zip(sorted(rows, key=key), sorted(db, key=key)):
        if [norm(v) for v in a] != [norm(v) for v in b]:
            bad += 1
            if bad < 10: print(f"{t}: file {a}\n{' ' * len(t)}    db {b}")
    print(f"{t}: {len(rows)} rows compared")
sys.exit(1 if bad else 0)
EOF
TABLES="customer_profiles device_information payment_transactions customer_behavior complaints_feedback"

test_expect_success 'the MySQL schema script runs, twice' '
	my <"$INIT/mysql/01-crm.sql" &&
	my <"$INIT/mysql/01-crm.sql" &&
	my_q crm "SHOW TABLES" >tables &&
	printf "customer_profiles\ndevice_information\n" >expect &&
	test_cmp expect tables
'

test_expect_success 'the PostgreSQL schema scripts run, twice' '
	for s in "$INIT"/postgres/*.sql; do
		pg -d postgres -f "$s" 2>err || { cat err >&2; return 1; }
		pg -d postgres -f "$s" 2>err || { cat err >&2; return 1; }
	done &&
	pg_q billing "SELECT tablename FROM pg_tables WHERE schemaname = '"'"'public'"'"' ORDER BY 1" >tables &&
	printf "customer_behavior\npayment_transactions\n" >expect &&
	test_cmp expect tables &&
	pg_q care "SELECT tablename FROM pg_tables WHERE schemaname = '"'"'public'"'"'" >tables &&
	echo complaints_feedback >expect &&
	test_cmp expect tables
'

test_expect_success 'the columns are the contract columns, in order' '
	for t in customer_profiles device_information; do
		my_q information_schema "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION)
			FROM COLUMNS WHERE TABLE_SCHEMA = '"'"'crm'"'"' AND TABLE_NAME = '"'"'$t'"'"'" >cols &&
		head -1 data/$t.csv >expect &&
		test_cmp expect cols || return 1
	done &&
	for t in billing.payment_transactions billing.customer_behavior care.complaints_feedback; do
		pg_q ${t%.*} "SELECT string_agg(column_name, '"'"','"'"' ORDER BY ordinal_position)
			FROM information_schema.columns WHERE table_name = '"'"'${t#*.}'"'"'" >cols &&
		head -1 data/${t#*.}.csv >expect &&
		test_cmp expect cols || return 1
	done &&
	my_q crm "SELECT COLUMN_TYPE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = '"'"'crm'"'"' AND COLUMN_NAME = '"'"'last_updated'"'"'" >lu &&
	test_line_count = 2 lu &&
	test_grep -i -c "timestamp.*current_timestamp.*on update current_timestamp" lu &&
	pg_q billing "SELECT pg_get_serial_sequence('"'"'payment_transactions'"'"', '"'"'transaction_id'"'"')" >seq &&
	test_grep payment_transactions_transaction_id_seq seq
'

test_expect_success 'load-databases loads every table: the rows are the files'\'' rows' '
	DATA=data "$LOAD" >load.out 2>&1 || { cat load.out >&2; false; } &&
	test_grep "crm.customer_profiles: 200 rows in the file, 200 inserted" load.out &&
	dump_all first &&
	python3 compare.py first $TABLES
'

test_expect_success 'a second load inserts nothing and changes nothing' '
	DATA=data "$LOAD" >load2.out 2>&1 || { cat load2.out >&2; false; } &&
	test_line_count = 5 load2.out &&
	grep -c ", 0 inserted" load2.out >n && echo 5 >expect && test_cmp expect n &&
	dump_all second &&
	for t in $TABLES; do test_cmp first.$t second.$t || return 1; done
'

test_expect_success 'new rows after a load take keys past the loaded ones' '
	max=$(pg_q billing "SELECT max(transaction_id) FROM payment_transactions") &&
	id=$(pg_q billing "INSERT INTO payment_transactions (customer_id, amount, status)
		VALUES ('"'"'C000001'"'"', 1.00, '"'"'pending'"'"') RETURNING transaction_id" | head -1) &&
	test "$id" -eq $((max + 1)) &&
	pg_q billing "DELETE FROM payment_transactions WHERE transaction_id = $id" &&
	max=$(my_q crm "SELECT max(device_id) FROM device_information") &&
	id=$(my_q crm "INSERT INTO device_information (customer_id, imei, device_status)
		VALUES ('"'"'C000001'"'"', '"'"'1'"'"', '"'"'lost'"'"'); SELECT LAST_INSERT_ID()") &&
	test "$id" -eq $((max + 1)) &&
	my_q crm "DELETE FROM device_information WHERE device_id = $id"
'

test_expect_success 'the CDC user of MySQL reads crm and the binlog, and writes nothing' '
	printf "[client]\nsocket=%s\nuser=cdc\npassword=cdc\n" "$MYSQL_SOCKET" >cdc.cnf &&
	mariadb --defaults-file=cdc.cnf -B -N -e "SELECT COUNT(*) FROM crm.customer_profiles" >n &&
	echo 200 >expect && test_cmp expect n &&
	mariadb --defaults-file=cdc.cnf -e "SHOW MASTER STATUS" >st &&
	test_grep binlog st &&
	test_must_fail mariadb --defaults-file=cdc.cnf -e "DELETE FROM crm.customer_profiles" 2>err &&
	test_grep -i "denied" err &&
	test_must_fail mariadb --defaults-file=cdc.cnf -e "SELECT * FROM mysql.user" 2>err &&
	binlog2jsonl --defaults-file=cdc.cnf -t "crm.*" --snapshot initial_only >snap.jsonl 2>err ||
	{ cat err >&2; false; } &&
	n=$(grep -c "\"op\":\"r\"" snap.jsonl) &&
	test "$n" -eq $((200 + $(wc -l <first.device_information)))
'

test_expect_success 'the CDC role of PostgreSQL replicates and reads the captured tables only' '
	test "$(pg_q postgres "SELECT rolreplication AND NOT rolsuper FROM pg_roles WHERE rolname = '"'"'cdc'"'"'")" = t &&
	PGUSER=cdc pg_q billing "SELECT count(*) FROM customer_behavior" >n &&
	echo 200 >expect && test_cmp expect n &&
	test_must_fail env PGUSER=cdc psql -X -d care -c "DELETE FROM complaints_feedback" 2>err &&
	test_grep "permission denied" err &&
	pgcdc2jsonl -d "dbname=billing user=cdc" -s t3010_billing -p billing \
		--snapshot initial_only >snap.jsonl 2>err || { cat err >&2; false; } &&
	n=$(grep -c "\"op\":\"r\"" snap.jsonl) &&
	test "$n" -eq $(($(wc -l <first.payment_transactions) + 200))
'

test_expect_success 'apply-changes applies the change script: each change has its effect' '
	grep "\"kind\":\"credit_score_drop\"" changes.jsonl | head -1 >c1 &&
	grep "\"kind\":\"device_replaced\"" changes.jsonl | head -1 >c2 &&
	grep "\"kind\":\"payment_failed\"" changes.jsonl | head -1 >c3 &&
	grep "\"kind\":\"complaint_opened\"" changes.jsonl | head -1 >c4 &&
	cat c1 c2 c3 c4 >short.jsonl && test_line_count = 4 short.jsonl &&
	cu1=$(jq -r .customer_id c1) && cu2=$(jq -r .customer_id c2) &&
	cu3=$(jq -r .customer_id c3) && cu4=$(jq -r .customer_id c4) &&
	score0=$(my_q crm "SELECT credit_score FROM customer_profiles WHERE customer_id = '"'"'$cu1'"'"'") &&
	lu0=$(my_q crm "SELECT last_updated FROM customer_profiles WHERE customer_id = '"'"'$cu1'"'"'") &&
	imei0=$(my_q crm "SELECT imei FROM device_information WHERE customer_id = '"'"'$cu2'"'"' AND device_status = '"'"'active'"'"'") &&
	dev0=$(my_q crm "SELECT COUNT(*) FROM device_information WHERE customer_id = '"'"'$cu2'"'"'") &&
	fail0=$(pg_q billing "SELECT count(*) FROM payment_transactions WHERE customer_id = '"'"'$cu3'"'"' AND status = '"'"'failed'"'"'") &&
	open0=$(pg_q care "SELECT count(*) FROM complaints_feedback WHERE customer_id = '"'"'$cu4'"'"' AND status = '"'"'open'"'"'") &&
	jq -r "[.at, .id, .db, .kind, .customer_id] | join(\" \")" short.jsonl >expect &&
	echo "load-databases: short.jsonl: 4 changes applied" >>expect &&
	DATA=data "$APPLY" --speed 0 short.jsonl >apply.out 2>&1 &&
	test_cmp expect apply.out &&
	# the credit score of the scenario that depends on it, from the ground truth
	sid=$(jq -r .scenario c1) &&
	want=$(jq -r "select(.scenario_id == \"$sid\") | .evidence.credit_score" data/ground-truth.jsonl) &&
	was=$(jq -r "select(.scenario_id == \"$sid\") | .evidence.credit_score_before_change" data/ground-truth.jsonl) &&
	test "$score0" = "$was" &&
	test "$(my_q crm "SELECT credit_score FROM customer_profiles WHERE customer_id = '"'"'$cu1'"'"'")" = "$want" &&
	lu1=$(my_q crm "SELECT last_updated FROM customer_profiles WHERE customer_id = '"'"'$cu1'"'"'") &&
	test "$lu1" != "$lu0" &&
	test "$(my_q crm "SELECT last_updated >= UTC_TIMESTAMP() - INTERVAL 10 MINUTE FROM customer_profiles WHERE customer_id = '"'"'$cu1'"'"'")" = 1 &&
	# one active device still, another one, the old one replaced
	my_q crm "SELECT imei FROM device_information WHERE customer_id = '"'"'$cu2'"'"' AND device_status = '"'"'active'"'"'" >active &&
	test_line_count = 1 active &&
	test "$(cat active)" != "$imei0" &&
	test "$(my_q crm "SELECT device_status FROM device_information WHERE imei = '"'"'$imei0'"'"'")" = replaced &&
	test "$(my_q crm "SELECT COUNT(*) FROM device_information WHERE customer_id = '"'"'$cu2'"'"'")" -eq $((dev0 + 1)) &&
	test "$(pg_q billing "SELECT count(*) FROM payment_transactions WHERE customer_id = '"'"'$cu3'"'"' AND status = '"'"'failed'"'"'")" -eq $((fail0 + 1)) &&
	test "$(pg_q care "SELECT count(*) FROM complaints_feedback WHERE customer_id = '"'"'$cu4'"'"' AND status = '"'"'open'"'"'")" -eq $((open0 + 1))
'

test_expect_success 'the change script applied again changes nothing' '
	dump_all before &&
	DATA=data "$APPLY" --speed 0 short.jsonl >apply.out 2>&1 &&
	dump_all after &&
	for t in $TABLES; do test_cmp before.$t after.$t || return 1; done
'

test_expect_success 'the whole change script at a speed, in time order, then a reload changes nothing' '
	dump_all before &&
	DATA=data "$LOAD" --changes changes.jsonl --speed 1000000 >all.out 2>&1 ||
	{ cat all.out >&2; false; } &&
	n=$(wc -l <changes.jsonl) &&
	test_grep "changes.jsonl: $n changes applied" all.out &&
	grep "^20" all.out | cut -d" " -f1 >times && sort -c times &&
	dump_all changed &&
	! cmp -s before.payment_transactions changed.payment_transactions &&
	DATA=data "$LOAD" >reload.out 2>&1 &&
	dump_all reloaded &&
	for t in $TABLES; do test_cmp changed.$t reloaded.$t || return 1; done
'

test_expect_success 'change times are waited for, divided by --speed' '
	cat >timed.jsonl <<-\EOF &&
	{"id":"T1","at":"2026-11-01T00:00:00Z","db":"care","kind":"complaint_opened","customer_id":"C000001","sql":"INSERT INTO complaints_feedback (customer_id, status) VALUES ('"'"'C000001'"'"', '"'"'open'"'"')"}
	{"id":"T2","at":"2026-11-01T02:00:00Z","db":"care","kind":"complaint_resolved","customer_id":"C000001","sql":"UPDATE complaints_feedback SET status = '"'"'resolved'"'"' WHERE customer_id = '"'"'C000001'"'"' AND status = '"'"'open'"'"'"}
	EOF
	t0=$(date +%s%N) &&
	"$APPLY" --start 2026-11-01T00:00:00Z --speed 7200 timed.jsonl >timed.out &&
	t1=$(date +%s%N) &&
	# two hours at 7200 times: a second at least (a lower bound: a sleep)
	test $(((t1 - t0) / 1000000)) -ge 1000 &&
	test_grep "^2026-11-01T02:00:00Z T2 care" timed.out &&
	test "$(pg_q care "SELECT count(*) FROM complaints_feedback WHERE customer_id = '"'"'C000001'"'"' AND status = '"'"'open'"'"'")" = 0
'

test_expect_success 'a session the server closed while waiting is opened again' '
	cat >idle.jsonl <<-\EOF &&
	{"id":"I1","at":"2026-11-01T00:00:00Z","db":"crm","sql":"UPDATE customer_profiles SET age = 40 WHERE customer_id = '"'"'C000003'"'"'"}
	{"id":"I2","at":"2026-11-01T00:00:00Z","db":"care","sql":"UPDATE complaints_feedback SET severity = '"'"'low'"'"' WHERE complaint_id = 1"}
	{"id":"I3","at":"2026-11-01T01:00:00Z","db":"crm","sql":"UPDATE customer_profiles SET age = 41 WHERE customer_id = '"'"'C000003'"'"'"}
	{"id":"I4","at":"2026-11-01T01:00:00Z","db":"care","sql":"UPDATE complaints_feedback SET severity = '"'"'high'"'"' WHERE complaint_id = 1"}
	EOF
	# sessions that the servers close after 1 s idle; 3 s between changes
	{ cat "$MYSQL_DEFAULTS_FILE" && echo "init-command=SET SESSION wait_timeout = 1"; } >idle.cnf &&
	MYSQL_DEFAULTS_FILE=$TRASH/idle.cnf PGOPTIONS="-c idle_session_timeout=1000" \
		"$APPLY" --start 2026-11-01T00:00:00Z --speed 1200 idle.jsonl >idle.out 2>&1 ||
		{ cat idle.out >&2; false; } &&
	test_grep "4 changes applied" idle.out &&
	test "$(my_q crm "SELECT age FROM customer_profiles WHERE customer_id = '"'"'C000003'"'"'")" = 41 &&
	test "$(pg_q care "SELECT severity FROM complaints_feedback WHERE complaint_id = 1")" = high
'

test_expect_success 'load-databases --init on servers that have the schemas already' '
	DATA=data "$LOAD" --init --only postgres >init.out 2>&1 || { cat init.out >&2; false; } &&
	test_grep "02-care.sql: done" init.out &&
	test_grep -v mysql init.out
'

test_expect_success 'bad input: nothing inserted, file and reason named (65)' '
	mkdir bad && cp data/*.csv bad/ &&
	my_q crm "CREATE DATABASE crm2" && my_q crm2 "CREATE TABLE customer_profiles LIKE crm.customer_profiles" &&
	my_q crm2 "CREATE TABLE device_information LIKE crm.device_information" &&
	sed -i "3s/,[0-9]*,\(male\|female\|other\|diverse\),/,old,\1,/" bad/customer_profiles.csv &&
	test_must_fail --status=65 env DATA=bad CRM_DB=crm2 "$LOAD" --only mysql >out 2>err &&
	test_grep "crm2.customer_profiles: 1 warnings" err &&
	test "$(my_q crm2 "SELECT COUNT(*) FROM customer_profiles")" = 0 &&
	sed -i "1s/age/years/" bad/customer_profiles.csv &&
	test_must_fail --status=65 env DATA=bad CRM_DB=crm2 "$LOAD" --only mysql 2>err &&
	test_grep "bad/customer_profiles.csv:1: columns are" err &&
	rm bad/device_information.csv && cp data/customer_profiles.csv bad/ &&
	test_must_fail --status=66 env DATA=bad CRM_DB=crm2 "$LOAD" --only mysql 2>err &&
	test_grep "device_information.csv: no such file" err &&
	echo "{\"id\":\"X1\",\"at\":\"2026-11-01T00:00:00Z\",\"db\":\"nosuch\",\"sql\":\"SELECT 1\"}" >badchg &&
	test_must_fail --status=65 env DATA=data "$APPLY" --speed 0 badchg 2>err &&
	test_grep "badchg:1: X1: unknown database" err &&
	echo "{\"id\":\"X2\",\"at\":\"2026-11-01T00:00:00Z\",\"db\":\"care\",\"sql\":\"UPDATE complaints_feedback SET status = status WHERE complaint_id = 1\"}" >badsql &&
	echo "{\"id\":\"X3\",\"at\":\"2026-11-01T00:00:01Z\",\"db\":\"care\",\"sql\":\"UPDATE no_such_table SET x = 1\"}" >>badsql &&
	echo "{\"id\":\"X4\",\"at\":\"2026-11-01T00:00:02Z\",\"db\":\"crm\",\"sql\":\"UPDATE no_such_table SET x = 1\"}" >>badsql &&
	test_must_fail --status=69 env DATA=data "$APPLY" --speed 0 badsql >out 2>err &&
	test_grep "badsql:2: X3: .*no_such_table" err &&
	test_grep " X2 care" out &&
	test_must_fail grep X4 out &&
	sed -i 2d badsql &&
	test_must_fail --status=69 env DATA=data "$APPLY" --speed 0 badsql >out 2>err &&
	test_grep "badsql:2: X4: .*no_such_table" err
'

test_expect_success 'usage errors (64), a database that is not there (69)' '
	test_must_fail --status=64 "$LOAD" --bogus 2>err && test_grep usage err &&
	test_must_fail --status=64 "$LOAD" --speed fast 2>err &&
	test_must_fail --status=64 "$LOAD" --only oracle 2>err &&
	test_must_fail --status=64 "$APPLY" 2>err && test_grep usage err &&
	test_must_fail --status=69 env DATA=data PGPORT=$(free_port) "$LOAD" --only postgres 2>err &&
	test_grep "billing.payment_transactions" err &&
	test_must_fail --status=69 env DATA=data BILLING_DB=nosuchdb "$LOAD" --only postgres 2>err &&
	test_grep "nosuchdb" err
'

test_expect_success 'the helpers work outside lib.sh (as the demo uses them), and stop at exit' '
	cat >outside.sh <<-\EOF &&
	TRASH=$1
	mkdir -p "$TRASH"
	_atexit=""
	test_atexit() { _atexit="$1
	$_atexit"; }
	error() { echo "outside: $*" >&2; exit 1; }
	trap '"'"'printf "%s\n" "$_atexit" | while IFS= read -r c; do eval "$c"; done'"'"' EXIT
	. "$TEST_DIR/lib-base.sh"
	. "$TEST_DIR/lib-mysql.sh"
	. "$TEST_DIR/lib-pg.sh"
	my_start || error "MariaDB did not start"
	pg_start || error "PostgreSQL did not start"
	echo "$MY_DIR $PG_DIR"
	my_q mysql "SELECT 1 + 1" && pg_q postgres "SELECT 2 + 2"
	cat "$MY_DIR/pid" >"$TRASH/my.pid"
	head -1 "$PG_DIR/data/postmaster.pid" >"$TRASH/pg.pid"
	EOF
	env -u MYSQL_SOCKET -u MYSQL_PORT -u MYSQL_DEFAULTS_FILE -u PGPORT -u PGHOST \
		-u MY_DIR -u PG_DIR bash outside.sh "$TRASH/outside" >out 2>&1 ||
		{ cat out >&2; false; } &&
	printf "%s\n" "$TRASH/outside/mysql $TRASH/outside/pg" 2 4 >expect &&
	test_cmp expect out &&
	mp=$(cat outside/my.pid) && pp=$(cat outside/pg.pid) &&
	wait_until 30 "the servers of outside.sh to stop" \
		sh -c "! kill -0 $mp 2>/dev/null && ! kill -0 $pp 2>/dev/null"
'

test_expect_success 'a server that cannot start: the helpers fail at once and show its log' '
	(
		MY_DIR=$TRASH/badmy MYSQL_PORT= MY_EXTRA_ARGS=--no-such-option &&
		test_must_fail my_start 2>err &&
		test_grep "did not start" err &&
		test_grep "no-such-option" err
	) &&
	(
		PG_DIR=$TRASH/badpg PGPORT= PG_EXTRA_ARGS="-c no_such_setting=1" &&
		test_must_fail pg_start 2>err &&
		test_grep "no_such_setting" err
	)
'

test_expect_success 'the helpers stop and start the servers again, keeping the data' '
	my_stop && pg_stop &&
	test_must_fail my -e "SELECT 1" 2>/dev/null &&
	my_start && pg_start &&
	test "$(my_q crm "SELECT COUNT(*) FROM customer_profiles")" = 200 &&
	test "$(pg_q care "SELECT count(*) > 0 FROM complaints_feedback")" = t
'

test_done
