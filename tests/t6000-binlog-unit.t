#!/bin/bash
test_description='binlog decoder units on real MySQL 5.7/8.0 and MariaDB 10.11 binlog files'
. "$(dirname "$0")/lib.sh"

# The MySQL files are the shared fixtures (read-only, beside the clone);
# the MariaDB one was recorded for this test (tests/data/binlog).
FIXTURES=$TOP/../shared/fixtures/mysql-binlog

test_expect_success 'the fixtures are there' '
	test -f "$FIXTURES/mysql-8.0/31_update_rows_v2/binlog.000001" &&
	test -f "$TOP/tests/data/binlog/mariadb-10.11.binlog"
'

test_expect_success 'events, rows v1/v2, TRANSACTION_PAYLOAD, checksums, values' '
	binlog "$FIXTURES" "$TOP/tests/data/binlog" >out 2>&1 || { cat out; false; } &&
	cat out &&
	test_grep " 0 failed" out
'

test_expect_success 'mariadb-binlog agrees on the MariaDB file: the row values' '
	command -v mariadb-binlog >/dev/null || { echo "mariadb-binlog missing"; false; } &&
	mariadb-binlog -v "$TOP/tests/data/binlog/mariadb-10.11.binlog" >dump.txt &&
	test_grep "@20=-8388608" dump.txt &&
	test_grep "@19=.*(65535)" dump.txt &&
	test_grep "@3=.compressed compressed compressed ." dump.txt &&
	test_grep "@21=42" dump.txt
'

test_done
