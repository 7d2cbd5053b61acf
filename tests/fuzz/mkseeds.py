#!/usr/bin/env python3
"""Write the fuzz seed corpora of tests/fuzz/corpus/ from recorded data.

  tests/fuzz/mkseeds.py SHARED-FIXTURES-DIR

binlog_event: each binlog file whole, and for each rows event the format
description, its table map and the event (a TRANSACTION_PAYLOAD alone with
the format description). pgoutput: the recorded stream whole, and each
transaction after the Relation messages before it, in the framing of
tests/fuzz/pgoutput.c. csvread and rules: the test data as it is.
"""
import glob, os, shutil, struct, sys

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
fix = sys.argv[1]
corpus = os.path.join(top, 'tests/fuzz/corpus')

def out(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def events(b):
    pos = 4
    while pos + 19 <= len(b):
        size = struct.unpack_from('<I', b, pos + 9)[0]
        if size < 19 or pos + size > len(b):
            break
        yield b[pos:pos + size]
        pos += size

binlogs = sorted(glob.glob(fix + '/mysql-binlog/mysql-*/**/*', recursive=True))
binlogs = [f for f in binlogs if os.path.isfile(f) and not f.endswith('.txt')
           and not f.endswith('.sql')]
binlogs += [os.path.join(top, 'tests/data/binlog/mariadb-10.11.binlog')]
for f in binlogs:
    b = open(f, 'rb').read()
    if b[:4] != b'\xfebin':
        continue
    tag = os.path.relpath(f, fix).replace('/', '_') if f.startswith(fix) \
        else os.path.basename(f)
    out('binlog_event', tag, b)
    fde, maps, k, seen = None, {}, 0, set()
    for ev in events(b):
        t = ev[4]
        if t == 15:
            fde = ev
        elif t == 19:
            maps[ev[19:25]] = ev
        elif fde and (23 <= t <= 25 or 30 <= t <= 32 or 166 <= t <= 171):
            tm = maps.get(ev[19:25], b'')
            if (t, tm) in seen:
                continue
            seen.add((t, tm))
            out('binlog_event', '%s.rows%d' % (tag, k), b'\xfebin' + fde + tm + ev)
            k += 1
        elif fde and t == 40:
            out('binlog_event', '%s.payload%d' % (tag, k), b'\xfebin' + fde + ev)
            k += 1

msgs = [bytes.fromhex(l.split('\t')[2].strip()) for l in
        open(os.path.join(top, 'tests/data/pgoutput/pg15-proto1.tsv')) if l.strip()]
frame = lambda ms: b''.join(struct.pack('>H', len(m)) + m for m in ms)
out('pgoutput', 'pg15-all', b'\x00' + frame(msgs))
out('pgoutput', 'pg15-all-debezium', b'\x02' + frame(msgs))
rels, txn, k = [], [], 0
for m in msgs:
    txn.append(m)
    if m[:1] == b'R':
        rels.append(m)
    if m[:1] == b'C':
        out('pgoutput', 'pg15-txn%d' % k, b'\x00' + frame(rels + [x for x in txn if x[:1] != b'R']))
        txn, k = [], k + 1

for f in glob.glob(os.path.join(top, 'tests/data/csv*/*.csv')):
    out('csvread', os.path.basename(f), b'\x06' + open(f, 'rb').read())
out('csvread', 'oversized-small-limit.csv', b'\x01' + open(os.path.join(top, 'tests/data/csv-bad/oversized.csv'), 'rb').read()[:4000])
shutil.copy(os.path.join(top, 'rules/telecom.rules'), os.path.join(corpus, 'rules') if os.path.isdir(os.path.join(corpus, 'rules')) else (os.makedirs(os.path.join(corpus, 'rules')) or os.path.join(corpus, 'rules')))
for i, j in enumerate([b'{"a":[1,2.5e-3,{"b":null}],"c":"\\u00e9\\ud83d\\ude00"}',
                       b' [true, false, null, -0, 1E+2, "x\\n\\t"] ',
                       b'"\xc3\xa5ngstr\xc3\xb6m"', b'{}', b'[[[[]]]]', b'-12.5e10']):
    out('jvalid', 'seed%d.json' % i, j)

# protocol 2: a streamed transaction (messages inside carry the xid),
# aborted subtransaction, then its commit; with a Type, Origin and Message
x = struct.pack('>I', 730)
rel = b'R' + x + struct.pack('>I', 16386) + b'public\0s\0d' + struct.pack('>H', 2) + \
    b'\1id\0' + struct.pack('>Ii', 23, -1) + b'\0v\0' + struct.pack('>Ii', 3802, -1)
tup = struct.pack('>H', 2) + b't' + struct.pack('>I', 1) + b'7' + b't' + \
    struct.pack('>I', 13) + b'{"k": [1, 2]}'
stream = [b'S' + x + b'\1', rel, b'Y' + x + struct.pack('>I', 70000) + b'public\0mood\0',
          b'I' + x + struct.pack('>I', 16386) + b'N' + tup,
          b'M' + x + b'\1' + struct.pack('>Q', 0x152F000) + b'pfx\0' + struct.pack('>I', 3) + b'abc',
          b'E', b'A' + x + struct.pack('>I', 731),
          b'c' + x + b'\0' + struct.pack('>QQq', 0x152F100, 0x152F180, 849000000000000),
          b'O' + struct.pack('>Q', 0x152F200) + b'origin1\0']
out('pgoutput', 'proto2-stream', b'\x01' + frame(stream))
