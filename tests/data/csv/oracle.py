#!/usr/bin/env python3
"""Independent checks for the stream tests (Python's csv module, no C code).

  oracle.py rows CSV JSONL
      every row of CSV (parsed by Python's csv module) and the same line of
      JSONL (csv2kafka --stdout) agree: same column names in order, each
      value the cell's text (numbers as written, booleans true/false, an
      empty cell null), and the data contract's identifiers and codes are
      strings, its counts integers.
  oracle.py murmur2 N [KEY ...]   (keys on stdin, one a line, without KEY)
      KEY PARTITION for each key: the Java client's default partitioner.
  oracle.py strip [FILE]
      JSON lines without their "_kafka" member, numbers kept as written.
"""
import csv
import json
import sys

STRINGS = {"msisdn", "other_msisdn", "imsi", "imei", "direction", "country",
           "protocol", "channel", "service_name", "source_ip"}
INTEGERS = {"duration_s", "result_code", "latency_ms", "active_subscribers",
            "units"}


class Num(str):
    """a JSON number, its text as written"""


def load(line):
    return json.loads(line, parse_int=Num, parse_float=Num,
                      object_pairs_hook=list)


def contract_string(name):
    return (name in STRINGS or name.endswith("_id") or name.endswith("_type")
            or name.endswith("_country"))


def rows(csvpath, jsonpath):
    with open(csvpath, newline="", encoding="utf-8-sig") as f:
        table = list(csv.reader(f, strict=True))
    header, body = table[0], [r for r in table[1:] if r]
    with open(jsonpath, encoding="utf-8") as f:
        out = [load(l) for l in f]
    if len(out) != len(body):
        sys.exit("%s: %d rows, %d JSON lines" % (csvpath, len(body), len(out)))
    for n, (cells, obj) in enumerate(zip(body, out), 1):
        names = [k for k, _ in obj]
        if names != header:
            sys.exit("%s row %d: keys %s, header %s" % (csvpath, n, names, header))
        for name, cell, (_, v) in zip(header, cells, obj):
            where = "%s row %d column %s: cell %r, JSON %r" % (csvpath, n, name, cell, v)
            if cell == "":
                ok = v is None or v == ""
            elif v is True or v is False:
                ok = cell.lower() == ("true" if v else "false")
            elif isinstance(v, Num):
                ok = str(v) == cell and not contract_string(name)
            elif isinstance(v, str):
                ok = v == cell and name not in INTEGERS
            else:
                ok = False
            if ok and name in INTEGERS and cell != "":
                ok = isinstance(v, Num) and v.lstrip("-").isdigit()
            if not ok:
                sys.exit(where)
    print("%s: %d rows agree" % (csvpath, len(body)))


def murmur2(data):
    m, h = 0x5BD1E995, 0x9747B28C ^ len(data)
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    rest = data[4 * n4:]
    if len(rest) >= 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def partitions(n, keys):
    for k in keys:
        print("%s %d" % (k, (murmur2(k.encode()) & 0x7FFFFFFF) % n))


def strip(f):
    for line in f:
        obj = [(k, v) for k, v in load(line) if k != "_kafka"]
        print(dump(obj))


def dump(v):
    if isinstance(v, Num):
        return str(v)
    if isinstance(v, list) and all(isinstance(e, tuple) for e in v) and v:
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + dump(x)
                              for k, x in v) + "}"
    if isinstance(v, list) and v == []:
        return "[]"
    if isinstance(v, list):
        return "[" + ",".join(dump(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "rows":
        rows(sys.argv[2], sys.argv[3])
    elif cmd == "murmur2":
        n = int(sys.argv[2])
        keys = sys.argv[3:] or [l.rstrip("\n") for l in sys.stdin]
        partitions(n, keys)
    elif cmd == "strip":
        strip(open(sys.argv[2], encoding="utf-8") if len(sys.argv) > 2 else sys.stdin)
    else:
        sys.exit("usage: oracle.py rows|murmur2|strip ...")
