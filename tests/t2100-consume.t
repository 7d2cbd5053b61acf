#!/bin/bash
test_description='consume on a real Kafka: offsets, counts, provenance, kcat envelope, groups'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-kafka.sh"

test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "$1 is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

now_ms() { date +%s%3N; }
# assigned3 FILE: the last change of assignment in consume -v FILE gave it
# three partitions.
assigned3() {
	grep "^consume: group .*: \(assigned\|revoked\) " "$1" | tail -n 1 |
		grep -q "assigned [^,]*, [^,]*, [^,]*$"
}
export -f assigned3
after_ms() { [ "$(now_ms)" -gt "$1" ]; }

test_expect_success 'a Kafka broker' '
	kafka_use
'

# kcat writes, consume reads: keys and values as kcat -P -K: took them.
T=$(unique kv)
test_expect_success 'what kcat -P -K: writes, consume reads identically' '
	kafka_topic "$T" 1 &&
	seq 1 200 | sed "s/.*/key&:{\"n\":&,\"s\":\"v&\"}/" >kv.in &&
	kcat -b "$KAFKA_BROKERS" -P -t "$T" -K: <kv.in &&
	consume -b "$KAFKA_BROKERS" -t "$T" -e -m >kv.out &&
	jq -r "\"\(._kafka.key):{\\\"n\\\":\(.n),\\\"s\\\":\\\"\(.s)\\\"}\"" kv.out >kv.back &&
	test_cmp kv.in kv.back &&
	consume -b "$KAFKA_BROKERS" -t "$T" -e >kv.plain &&
	cut -d: -f2- kv.in >kv.values &&
	test_cmp kv.values kv.plain &&
	seq 0 199 >off.want &&
	jq ._kafka.offset kv.out >off.got &&
	test_cmp off.want off.got &&
	jq -r "._kafka.topic" kv.out | sort -u >topics &&
	echo "$T" >topics.want &&
	test_cmp topics.want topics
'

test_expect_success '-o beginning, N, -N, end' '
	consume -b "$KAFKA_BROKERS" -t "$T" -e -o beginning >o.beg &&
	test_cmp kv.plain o.beg &&
	consume -b "$KAFKA_BROKERS" -t "$T" -e -o 150 >o.150 &&
	sed -n "151,\$p" kv.values >o.150.want &&
	test_cmp o.150.want o.150 &&
	consume -b "$KAFKA_BROKERS" -t "$T" -e -o -7 >o.tail &&
	tail -n 7 kv.values >o.tail.want &&
	test_cmp o.tail.want o.tail &&
	consume -b "$KAFKA_BROKERS" -t "$T" -e -o end >o.end &&
	test_must_be_empty o.end
'

test_expect_success '-o end reads only what comes after it started' '
	{ consume -b "$KAFKA_BROKERS" -t "$T" -o end -c 3 -v >o.new 2>o.new.err & } && pid=$! &&
	test_atexit "kill $pid" &&
	wait_until 30 "consume at the end" grep -q "end at offset 200" o.new.err &&
	printf "new1:{\"n\":1}\nnew2:{\"n\":2}\nnew3:{\"n\":3}\n" |
		kcat -b "$KAFKA_BROKERS" -P -t "$T" -K: &&
	wait $pid &&
	printf "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n" >o.new.want &&
	test_cmp o.new.want o.new
'

test_expect_success '-c COUNT stops after COUNT records, -e at the end' '
	consume -b "$KAFKA_BROKERS" -t "$T" -c 17 >c.out &&
	head -n 17 kv.values >c.want &&
	test_cmp c.want c.out &&
	consume -b "$KAFKA_BROKERS" -t "$T" -e >e.out &&
	test_line_count = 203 e.out
'

# --end-marker: its line after every record the topic held, once, and
# consume goes on; an empty topic of three partitions gets it too.
E=$(unique empty)
test_expect_success '--end-marker: a line once every partition is at its end, then on' '
	{ consume -b "$KAFKA_BROKERS" -t "$T" --end-marker "{\"_end\":1}" >m.out & } &&
	pid=$! && test_atexit "kill $pid" &&
	wait_until 30 "the end marker" grep -q "^{\"_end\":1}\$" m.out &&
	head -n 203 e.out >m.want && echo "{\"_end\":1}" >>m.want &&
	test_cmp m.want m.out &&
	echo "{\"n\":4}" | kcat -b "$KAFKA_BROKERS" -P -t "$T" &&
	echo "{\"n\":4}" >>m.want &&
	wait_until 30 "the record after the marker" eval "test \$(wc -l <m.out) -ge 205" &&
	test_cmp m.want m.out &&
	kill -0 $pid &&
	kafka_topic "$E" 3 &&
	consume -b "$KAFKA_BROKERS" -t "$E" -e --end-marker END >m.empty &&
	echo END >m.ewant &&
	test_cmp m.ewant m.empty &&
	test_must_fail --status=64 consume -b "$KAFKA_BROKERS" -t "$E" \
		--end-marker "$(printf "a\nb")" 2>err &&
	test_grep "one line" err
'

S=$(unique time)
test_expect_success '-o s@MS starts at the first record at or after MS' '
	kafka_topic "$S" 3 &&
	seq 1 30 | sed "s/.*/a&:{\"batch\":1,\"n\":&}/" | kcat -b "$KAFKA_BROKERS" -P -t "$S" -K: &&
	t=$(( $(now_ms) + 1 )) &&
	wait_until 5 "the clock past $t" after_ms "$t" &&
	seq 1 30 | sed "s/.*/b&:{\"batch\":2,\"n\":&}/" | kcat -b "$KAFKA_BROKERS" -P -t "$S" -K: &&
	consume -b "$KAFKA_BROKERS" -t "$S" -e -o "s@$t" -m >s.out &&
	jq -r "select(._kafka.ts < $t)" s.out >s.early &&
	test_must_be_empty s.early &&
	jq -r .batch s.out | sort -u >s.batches &&
	echo 2 >s.batches.want &&
	test_cmp s.batches.want s.batches &&
	test_line_count = 30 s.out
'

# kcat -J is the reference: the same envelope, field for field, for
# values and keys that are UTF-8 (other bytes become U+FFFD, see consume.c).
J=$(unique json)
test_expect_success '-J writes kcat -J envelopes, headers included' '
	kafka_topic "$J" 2 &&
	printf "k1:{\"a\":1}\nk2:plain \"text\" with\ttab\n:empty key\nk4:[1, 2]\nk5:\n" |
		kcat -b "$KAFKA_BROKERS" -P -t "$J" -K: -H h1=v1 -H "h2=two words" &&
	printf "nokey\n" | kcat -b "$KAFKA_BROKERS" -P -t "$J" -p 1 &&
	kcat -b "$KAFKA_BROKERS" -C -t "$J" -e -q -J | sort >j.kcat &&
	consume -b "$KAFKA_BROKERS" -t "$J" -e -J | sort >j.ours &&
	test_line_count = 6 j.ours &&
	test_cmp j.kcat j.ours
'

# Values that are not JSON: UTF-8 text as a JSON string, other bytes as
# {"_value_base64":...}; keys not UTF-8 as key_base64 with -m. Decoding
# gives back the bytes kcat wrote.
N=$(unique nonjson)
test_expect_success 'a non-JSON or non-UTF-8 value is kept losslessly' '
	kafka_topic "$N" 1 &&
	printf "k1\tplain text, \"quoted\" \\\\ back\nk\377\tbin\376\377val\nk3\t{\"a\":\nk4\t\342\202\254 euro\n" >nj.in &&
	kcat -b "$KAFKA_BROKERS" -P -t "$N" -K "	" <nj.in &&
	consume -b "$KAFKA_BROKERS" -t "$N" -e -m >nj.out &&
	consume -b "$KAFKA_BROKERS" -t "$N" -e >nj.plain &&
	python3 -c "
import base64, json, sys
out = open(sys.argv[1], \"rb\")
for line in out:
    o = json.loads(line)
    k = o[\"_kafka\"]
    key = k[\"key\"].encode() if \"key\" in k else base64.b64decode(k[\"key_base64\"])
    val = o[\"_value\"].encode() if \"_value\" in o else base64.b64decode(o[\"_value_base64\"])
    sys.stdout.buffer.write(key + b\"\t\" + val + b\"\n\")
" nj.out >nj.back &&
	cmp nj.in nj.back &&
	python3 -c "
import base64, json, sys
for line in open(sys.argv[1], \"rb\"):
    o = json.loads(line)
    v = o.encode() if isinstance(o, str) else base64.b64decode(o[\"_value_base64\"])
    sys.stdout.buffer.write(v + b\"\n\")
" nj.plain >nj.vals &&
	cut -f2- nj.in >nj.vals.want &&
	cmp nj.vals.want nj.vals
'

G6=$(unique g6)
GRP=$(unique group)
# Two members of one group share a topic of 6 partitions: each is given
# some partitions, every record is read once, by one of them.
test_expect_success 'two consume -G share 6 partitions; every record read exactly once' '
	kafka_topic "$G6" 6 &&
	{ consume -b "$KAFKA_BROKERS" -G "$GRP" -t "$G6" -m -v >g1.out 2>g1.err & } && p1=$! &&
	test_atexit "kill $p1" &&
	{ consume -b "$KAFKA_BROKERS" -G "$GRP" -t "$G6" -m -v >g2.out 2>g2.err & } && p2=$! &&
	test_atexit "kill $p2" &&
	wait_until 60 "3 partitions each" bash -c "assigned3 g1.err && assigned3 g2.err" &&
	seq 1 3000 | sed "s/.*/k&:{\"n\":&}/" | kcat -b "$KAFKA_BROKERS" -P -t "$G6" -K: -X partitioner=murmur2_random &&
	wait_until 60 "3000 records read" sh -c "test \$(cat g1.out g2.out | wc -l) -ge 3000" &&
	kill -TERM $p1 $p2 &&
	wait $p1 && wait $p2 &&
	cat g1.out g2.out | jq .n | sort -n >g.ns &&
	seq 1 3000 >g.want &&
	test_cmp g.want g.ns &&
	test_line_count -gt 0 g1.out &&
	test_line_count -gt 0 g2.out &&
	jq -r "._kafka.partition" g1.out | sort -u >g1.parts &&
	jq -r "._kafka.partition" g2.out | sort -u >g2.parts &&
	comm -12 g1.parts g2.parts >g.both &&
	test_must_be_empty g.both &&
	consume -b "$KAFKA_BROKERS" -G "$GRP" -t "$G6" -e >g.again &&
	test_must_be_empty g.again
'

C=$(unique commit)
CG=$(unique cgroup)
test_expect_success 'consume -G -c N commits N: the next member continues at N' '
	kafka_topic "$C" 1 &&
	seq 1 100 | sed "s/.*/{\"n\":&}/" | kcat -b "$KAFKA_BROKERS" -P -t "$C" &&
	consume -b "$KAFKA_BROKERS" -G "$CG" -t "$C" -c 40 >c1.out &&
	consume -b "$KAFKA_BROKERS" -G "$CG" -t "$C" -c 25 >c2.out &&
	consume -b "$KAFKA_BROKERS" -G "$CG" -t "$C" -e >c3.out &&
	cat c1.out c2.out c3.out | jq .n >c.ns &&
	seq 1 100 >c.want &&
	test_cmp c.want c.ns &&
	test_line_count = 40 c1.out &&
	test_line_count = 25 c2.out
'

test_expect_success 'offsets not written are not committed (stdout on /dev/full: 74)' '
	FG=$(unique fgroup) &&
	test_must_fail --status=74 consume -b "$KAFKA_BROKERS" -G "$FG" -t "$C" -c 40 >/dev/full 2>f.err &&
	test_grep "write error on standard output" f.err &&
	consume -b "$KAFKA_BROKERS" -G "$FG" -t "$C" -e >f.out &&
	test_line_count = 100 f.out
'

test_expect_success '| head -1 ends quietly' '
	{ consume -b "$KAFKA_BROKERS" -t "$T" -e 2>pipe.err; echo $? >pipe.st; } | head -1 >pipe.out &&
	test_line_count = 1 pipe.out &&
	test_must_be_empty pipe.err &&
	st=$(cat pipe.st) && { test "$st" = 141 || test "$st" = 0; }
'

# One record at a time, each to the next of three partitions: their Kafka
# timestamps (CreateTime) go up in the order of n.
T=$(unique torder)
test_expect_success '--time-order: the partitions merged by Kafka timestamp' '
	kafka_topic "$T" 3 &&
	for n in $(seq 1 24); do
		echo "{\"n\":$n}" | kcat -b "$KAFKA_BROKERS" -P -t "$T" -p $((n % 3)) || return 1
	done &&
	consume -b "$KAFKA_BROKERS" -G "$(unique g)" -t "$T" -e -m --time-order >to.out &&
	jq -r "[._kafka.ts, .n] | @tsv" to.out >to.ts &&
	sort -n -k1,1 -s to.ts >to.sorted &&
	test_cmp to.sorted to.ts &&
	jq -r .n to.out >to.n &&
	seq 1 24 >to.want &&
	test_cmp to.want to.n &&
	test_must_fail --status=64 consume -b "$KAFKA_BROKERS" -t "$T" -e --time-order 2>err &&
	grep "time-order needs a group" err
'

test_expect_success 'usage errors and a missing topic with -e' '
	test_must_fail --status=64 consume -b "$KAFKA_BROKERS" 2>u.err &&
	test_grep "no topic" u.err &&
	test_must_fail --status=64 consume -b "$KAFKA_BROKERS" -t x -o sometime 2>u.err &&
	test_grep "^consume: -o sometime" u.err &&
	test_must_fail --status=66 consume -b "$KAFKA_BROKERS" -t "$(unique nosuch)" -e 2>u.err &&
	test_grep "no such topic" u.err
'

test_done
