#!/bin/bash
test_description='the test harness and the shared Kafka it starts'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"

test_expect_success 'test_must_fail catches success and crashes' '
	test_must_fail false &&
	! test_must_fail true 2>/dev/null &&
	! test_must_fail sh -c "kill -SEGV \$\$" 2>/dev/null &&
	test_must_fail --status=3 sh -c "exit 3"
'

test_expect_success 'free_port gives a port with nothing listening' '
	p=$(free_port) &&
	test "$p" -ge 20000 && test "$p" -lt 50000 &&
	! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null
'

test_expect_success 'a real Kafka broker is reachable' '
	kafka_use &&
	kcat -b "$KAFKA_BROKERS" -L -m 10 >meta &&
	test_grep "1 brokers:" meta
'

test_expect_success 'a topic made with kafka-admin has its partitions' '
	t=$(unique p3) &&
	kafka_topic "$t" 3 &&
	kafka-admin -b "$KAFKA_BROKERS" offsets "$t" >offs &&
	test_line_count = 3 offs
'

test_done
