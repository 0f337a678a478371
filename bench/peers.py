#!/usr/bin/env python3
"""Benchmark peer engines (tantivy, SQLite FTS5, chDB) on logq's corpus and queries.

    python bench/peers.py --corpus FILE.jsonl --work DIR --runs 15 [--peers tantivy,fts5,chdb]

For each peer: load every record with one thread, persist under --work, report load time and
on-disk bytes, then run the six benchmark queries --runs times each and report the median
milliseconds of counting the matches and of fetching the newest 100 matching records.
Prints one JSON object per peer on stdout; progress goes to stderr.

Every peer stores the same record: ts (epoch ms), level, service, host, status, traceId and
message as their own fields, and the remaining keys as one compact JSON text `rest`, so a
record can be returned whole without storing the message twice.
"""
import argparse
import datetime
import json
import os
import shutil
import sqlite3
import statistics
import sys
import time

QUERIES = ["level:error service:order", "timeout", "service:nginx status:504",
           '"lock wait timeout"', "traceId", "*"]
OWN_COLUMNS = ("@timestamp", "level", "service", "host", "status", "traceId", "message")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def read_rows(path):
    """(ts_ms, level, service, host, status|None, traceId|None, message, rest_json) per line."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            ts = (datetime.datetime.fromisoformat(d["@timestamp"]) - EPOCH) // datetime.timedelta(milliseconds=1)
            status = d.get("status")
            rest = {k: v for k, v in d.items() if k not in OWN_COLUMNS}
            rows.append((ts, d["level"], d["service"], d.get("host", ""),
                         None if status is None else int(status), d.get("traceId"),
                         d.get("message", ""), json.dumps(rest, separators=(",", ":"))))
    return rows


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


# ---------------------------------------------------------------------------------------------
# Each peer function loads the rows (timed by the caller) and returns (bytes, queries), where
# queries maps each key of QUERIES to (count_fn, top100_fn); top100_fn returns the records.

def peer_tantivy(rows, work, trace_id):
    import tantivy
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("ts", stored=True, indexed=True, fast=True)
    for name in ("level", "service", "host", "traceId"):
        # "raw": the whole value is one term; "basic": no freqs/positions needed for equality.
        sb.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("status", stored=True, indexed=True)
    sb.add_text_field("message", stored=True)  # default tokenizer, positions for phrases
    sb.add_bytes_field("rest", stored=True, indexed=False)  # stored only
    schema = sb.build()
    path = fresh_dir(os.path.join(work, "tantivy"))
    index = tantivy.Index(schema, path=path)
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    for ts, level, service, host, status, trace, message, rest in rows:
        doc = tantivy.Document()
        doc.add_integer("ts", ts)
        doc.add_text("level", level)
        doc.add_text("service", service)
        doc.add_text("host", host)
        if status is not None:
            doc.add_integer("status", status)
        if trace is not None:
            doc.add_text("traceId", trace)
        doc.add_text("message", message)
        doc.add_bytes("rest", rest.encode())
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()  # let the merge policy finish: the index as it normally ends up
    index.reload()
    searcher = index.searcher()
    log(f"tantivy: {searcher.num_segments} segment(s)")

    Q, must = tantivy.Query, tantivy.Occur.Must

    def term(field, value):
        return Q.term_query(schema, field, value)

    queries = {
        "level:error service:order": Q.boolean_query([(must, term("level", "ERROR")), (must, term("service", "order"))]),
        "timeout": term("message", "timeout"),  # the default tokenizer lowercases
        "service:nginx status:504": Q.boolean_query([(must, term("service", "nginx")), (must, term("status", 504))]),
        '"lock wait timeout"': Q.phrase_query(schema, "message", ["lock", "wait", "timeout"]),
        "traceId": term("traceId", trace_id),
        "*": Q.all_query(),
    }

    def fns(q):
        # The binding has no count-only collector and panics on limit=0: count with a top-1.
        def count():
            return searcher.search(q, 1, count=True).count

        def top100():
            hits = searcher.search(q, 100, count=False, order_by_field="ts").hits
            return [searcher.doc(address).to_dict() for _, address in hits]
        return count, top100
    return dir_bytes(path), {key: fns(q) for key, q in queries.items()}


def peer_fts5(rows, work, trace_id):
    path = os.path.join(fresh_dir(os.path.join(work, "fts5")), "logs.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE logs(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, level TEXT, service TEXT,"
                " host TEXT, status INTEGER, traceId TEXT, message TEXT, rest TEXT)")
    with con:  # one transaction
        con.executemany("INSERT INTO logs(ts, level, service, host, status, traceId, message, rest)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    # Indexes after the bulk insert (faster than maintaining them row by row). ts trails the
    # equality columns so newest-100 can walk the index backwards instead of sorting.
    con.executescript("""
        CREATE INDEX logs_level_service ON logs(level, service, ts);
        CREATE INDEX logs_service_status ON logs(service, status, ts);
        CREATE INDEX logs_trace ON logs(traceId);
        CREATE INDEX logs_ts ON logs(ts);
        CREATE VIRTUAL TABLE fts USING fts5(message, content='logs', content_rowid='id');
        INSERT INTO fts(fts) VALUES('rebuild');
        INSERT INTO fts(fts) VALUES('optimize');
        ANALYZE;
    """)
    con.commit()
    columns = "ts, level, service, host, status, traceId, message, rest"

    def fns(where, args=(), match=None):
        if match is not None:  # word and phrase queries go through the FTS5 table
            count_sql, args = "SELECT count(*) FROM fts WHERE fts MATCH ?", (match,)
            # Sort only (id, ts) of the matches, then read the 100 whole rows: sorting whole rows
            # takes ~2.5x longer here. (Walking logs_ts backwards is faster for frequent terms but
            # scans the whole index for a rare one, so it is not used.)
            where = ("id IN (SELECT id FROM logs WHERE id IN (SELECT rowid FROM fts WHERE fts MATCH ?)"
                     " ORDER BY ts DESC LIMIT 100)")
        else:
            count_sql = f"SELECT count(*) FROM logs WHERE {where}"
        top_sql = f"SELECT {columns} FROM logs WHERE {where} ORDER BY ts DESC LIMIT 100"
        return (lambda: con.execute(count_sql, args).fetchone()[0],
                lambda: con.execute(top_sql, args).fetchall())
    return os.path.getsize(path), {
        "level:error service:order": fns("level = 'ERROR' AND service = 'order'"),
        "timeout": fns(None, match="timeout"),
        "service:nginx status:504": fns("service = 'nginx' AND status = 504"),
        '"lock wait timeout"': fns(None, match='"lock wait timeout"'),
        "traceId": fns("traceId = ?", (trace_id,)),
        "*": fns("1"),
    }


def peer_chdb(corpus, work, trace_id):
    from chdb import session
    sess = session.Session(fresh_dir(os.path.join(work, "chdb")))

    def q(sql, fmt="CSV"):
        result = sess.query(sql, fmt)
        if result.has_error():
            raise RuntimeError(result.error_message())
        return result.bytes()

    q("CREATE DATABASE peers")
    q("""CREATE TABLE peers.logs (ts DateTime64(3, 'UTC'), level LowCardinality(String),
           service LowCardinality(String), host LowCardinality(String), status UInt16 DEFAULT 0,
           traceId String DEFAULT '', message String, rest String)
         ENGINE = MergeTree ORDER BY (service, ts)""")
    # Read each line whole (JSONAsString) so the keys without a column of their own can be kept
    # as `rest`, as the other peers do; absent status/traceId become the defaults 0 and ''.
    own = ", ".join(f"'{c}'" for c in OWN_COLUMNS)
    q(f"""INSERT INTO peers.logs
          SELECT parseDateTime64BestEffort(JSONExtractString(raw, '@timestamp'), 3, 'UTC'),
                 JSONExtractString(raw, 'level'), JSONExtractString(raw, 'service'),
                 JSONExtractString(raw, 'host'), JSONExtractUInt(raw, 'status'),
                 JSONExtractString(raw, 'traceId'), JSONExtractString(raw, 'message'),
                 concat('{{', arrayStringConcat(arrayMap(kv -> concat(toJSONString(kv.1), ':', kv.2),
                        arrayFilter(kv -> kv.1 NOT IN ({own}), JSONExtractKeysAndValuesRaw(raw))), ','), '}}')
          FROM file('{os.path.abspath(corpus)}', 'JSONAsString', 'raw String')
          SETTINGS max_threads = 1, max_insert_threads = 1""")
    parts, size = q("SELECT count(), sum(bytes_on_disk) FROM system.parts"
                    " WHERE database = 'peers' AND table = 'logs' AND active").decode().split(",")
    log(f"chdb: {parts} active part(s)")

    def fns(where):
        return (lambda: int(q(f"SELECT count() FROM peers.logs WHERE {where}")),
                lambda: q(f"SELECT * FROM peers.logs WHERE {where} ORDER BY ts DESC LIMIT 100",
                          "JSONEachRow").splitlines())
    trace_sql = trace_id.replace("'", "''")
    return int(size), {
        "level:error service:order": fns("level = 'ERROR' AND service = 'order'"),
        "timeout": fns("hasToken(lower(message), 'timeout')"),
        "service:nginx status:504": fns("service = 'nginx' AND status = 504"),
        # A substring match: unlike a token phrase it also matches e.g. "block wait timeouts".
        '"lock wait timeout"': fns("positionCaseInsensitive(message, 'lock wait timeout') > 0"),
        "traceId": fns(f"traceId = '{trace_sql}'"),
        "*": fns("1"),
    }


# ---------------------------------------------------------------------------------------------

def run_queries(queries, runs):
    out = {}
    for key in QUERIES:
        count_fn, top_fn = queries[key]
        count_ms, top_ms = [], []
        for _ in range(runs):
            start = time.perf_counter()
            count = count_fn()
            count_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            top = top_fn()
            top_ms.append((time.perf_counter() - start) * 1000)
        if len(top) != min(100, count):
            raise RuntimeError(f"{key}: {len(top)} newest records for {count} matches")
        out[key] = {"count": count, "count_ms": round(statistics.median(count_ms), 3),
                    "top100_ms": round(statistics.median(top_ms), 3)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, help="JSON lines file, one flat object per line")
    ap.add_argument("--work", required=True, help="directory for the peers' stores (replaced)")
    ap.add_argument("--runs", type=int, default=15, help="runs per query; the median is reported")
    ap.add_argument("--peers", default="tantivy,fts5,chdb")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    # Decoding JSON in Python is the harness's cost, not tantivy's or SQLite's: do it once, untimed.
    # (chDB parses the file itself, inside its timed load.)
    start = time.perf_counter()
    rows = read_rows(args.corpus)
    log(f"decoded {len(rows)} records in {time.perf_counter() - start:.2f} s (not counted as load)")
    trace_id = next(r[5] for r in rows[len(rows) // 2:] if r[5])
    log(f"traceId query uses {trace_id} (first traceId at or after line {len(rows) // 2})")

    loaders = {"tantivy": lambda: peer_tantivy(rows, args.work, trace_id),
               "fts5": lambda: peer_fts5(rows, args.work, trace_id),
               "chdb": lambda: peer_chdb(args.corpus, args.work, trace_id)}
    for name in args.peers.split(","):
        name = name.strip()
        try:
            if name not in loaders:
                raise ValueError(f"unknown peer (known: {', '.join(loaders)})")
            log(f"{name}: loading")
            start = time.perf_counter()
            size, queries = loaders[name]()
            seconds = time.perf_counter() - start
            log(f"{name}: loaded in {seconds:.2f} s, {size} bytes; querying")
            result = {"peer": name, "records": len(rows), "load_seconds": round(seconds, 3),
                      "records_per_second": round(len(rows) / seconds, 1), "bytes": size,
                      "bytes_per_record": round(size / len(rows), 2),
                      "queries": run_queries(queries, args.runs)}
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # pyo3 panics (tantivy) derive from BaseException
            log(f"{name}: failed: {type(e).__name__}: {e}")
            result = {"peer": name, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
