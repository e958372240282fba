"""Runs ekino's DDL and report SQL on a current ClickHouse (chDB, in-process).

Usage: chdb_check.py DDL_FILE FIXTURE_DIR QUERIES_JSON [PREPARE_JSON]
  DDL_FILE      the schema's statements, `;`-separated (written by tests/compat.rs)
  FIXTURE_DIR   one TABLE.jsonl file per table (JSONEachRow, as ClickHouse 18.16 printed it)
  QUERIES_JSON  {"name": "SQL with literals bound", ...}
  PREPARE_JSON  ["statement", ...] run after loading the fixture (the aggregate rebuild)
Prints {"version": ..., "results": {"name": [rows as JSON objects]}} on stdout.
"""
import json
import os
import sys

from chdb import session


def statements(sql):
    body = "\n".join(l for l in sql.splitlines() if not l.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def main():
    ddl_file, fixture_dir, queries_file = sys.argv[1:4]
    s = session.Session()
    s.query("CREATE DATABASE IF NOT EXISTS ekino_compat")
    s.query("USE ekino_compat")
    for stmt in statements(open(ddl_file, encoding="utf-8").read()):
        s.query(stmt)
    for name in sorted(os.listdir(fixture_dir)):
        if not name.endswith(".jsonl"):
            continue
        table = name[: -len(".jsonl")]
        rows = open(os.path.join(fixture_dir, name), encoding="utf-8").read()
        if rows.strip():
            s.query(f"INSERT INTO {table} FORMAT JSONEachRow\n{rows}")
    if len(sys.argv) > 4:
        for stmt in json.load(open(sys.argv[4], encoding="utf-8")):
            s.query(stmt)
    results = {}
    for name, sql in json.load(open(queries_file, encoding="utf-8")).items():
        out = s.query(sql, "JSONEachRow").bytes().decode("utf-8")
        results[name] = [json.loads(l) for l in out.splitlines() if l.strip()]
    version = s.query("SELECT version()", "CSV").bytes().decode().strip().strip('"')
    print(json.dumps({"version": version, "results": results}))


if __name__ == "__main__":
    main()
