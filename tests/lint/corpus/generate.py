#!/usr/bin/env python3
"""Writes the lint corpus: setup.sql (the tables, as an earlier migration) and corpus.sql
(statement forms x tables, every statement on one line). `bench/lint_bench.sh` repeats the
same forms over more tables for its 10,000-statement corpus:  generate.py [TABLES] [OUTDIR]"""
import os, sys

TEMPLATES = [
    # indexes
    "CREATE INDEX {t}_a_idx ON {t} (a);",
    "CREATE INDEX CONCURRENTLY {t}_a_idx2 ON {t} (a);",
    "CREATE UNIQUE INDEX {t}_e_idx ON {t} (e);",
    "CREATE UNIQUE INDEX CONCURRENTLY {t}_e_idx2 ON {t} (e);",
    "CREATE INDEX {t}_p_idx ON {t} (a) WHERE b > 0;",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS {t}_g_idx ON {t} USING gin (j);",
    "DROP INDEX {t}_old_idx;",
    "DROP INDEX CONCURRENTLY IF EXISTS {t}_old_idx;",
    "REINDEX INDEX {t}_a_idx;",
    "REINDEX INDEX CONCURRENTLY {t}_a_idx;",
    # constraints
    "ALTER TABLE {t} ADD CONSTRAINT {t}_fk FOREIGN KEY (ref_id) REFERENCES refs (id);",
    "ALTER TABLE {t} ADD CONSTRAINT {t}_fk2 FOREIGN KEY (ref_id) REFERENCES refs (id) NOT VALID;",
    "ALTER TABLE {t} VALIDATE CONSTRAINT {t}_fk2;",
    "ALTER TABLE {t} ADD CONSTRAINT {t}_ck CHECK (a > 0);",
    "ALTER TABLE {t} ADD CONSTRAINT {t}_ck2 CHECK (a > 0) NOT VALID;",
    "ALTER TABLE {t} ADD CONSTRAINT {t}_uq UNIQUE (e);",
    "ALTER TABLE {t} ADD CONSTRAINT {t}_uq2 UNIQUE USING INDEX {t}_e_idx2;",
    "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {t}_ck;",
    # not null
    "ALTER TABLE {t} ALTER COLUMN b SET NOT NULL;",
    "ALTER TABLE {t} ADD CONSTRAINT {t}_c_nn CHECK (c IS NOT NULL) NOT VALID;",
    "ALTER TABLE {t} ALTER COLUMN c SET NOT NULL;",
    "ALTER TABLE {t} ALTER COLUMN d DROP NOT NULL;",
    # types
    "ALTER TABLE {t} ALTER COLUMN a TYPE bigint;",
    "ALTER TABLE {t} ALTER COLUMN v TYPE varchar(200);",
    "ALTER TABLE {t} ALTER COLUMN v TYPE text;",
    "ALTER TABLE {t} ALTER COLUMN n TYPE numeric(14,2);",
    "ALTER TABLE {t} ALTER COLUMN n TYPE numeric(14,4);",
    "ALTER TABLE {t} ALTER COLUMN e TYPE varchar(10);",
    "ALTER TABLE {t} ALTER COLUMN j TYPE jsonb USING j::jsonb;",
    "ALTER TABLE {t} ALTER COLUMN ts TYPE timestamptz;",
    # add column
    "ALTER TABLE {t} ADD COLUMN f1 int;",
    "ALTER TABLE {t} ADD COLUMN f2 int NOT NULL DEFAULT 0;",
    "ALTER TABLE {t} ADD COLUMN f3 int NOT NULL;",
    "ALTER TABLE {t} ADD COLUMN f4 timestamptz DEFAULT now();",
    "ALTER TABLE {t} ADD COLUMN f5 uuid DEFAULT gen_random_uuid();",
    "ALTER TABLE {t} ADD COLUMN f6 bigserial;",
    "ALTER TABLE {t} ADD COLUMN f7 int GENERATED ALWAYS AS IDENTITY;",
    "ALTER TABLE {t} ADD COLUMN f8 int GENERATED ALWAYS AS (a * 2) STORED;",
    "ALTER TABLE {t} ADD COLUMN f9 json;",
    "ALTER TABLE {t} ADD COLUMN f10 timestamp;",
    "ALTER TABLE {t} ADD COLUMN f11 char(2);",
    # breaking
    "ALTER TABLE {t} DROP COLUMN legacy;",
    "ALTER TABLE {t} RENAME COLUMN old_name TO new_name;",
    "ALTER TABLE {t}_archive RENAME TO {t}_history;",
    "DROP TABLE IF EXISTS {t}_tmp;",
    # lock_timeout, transactions, data
    "SET lock_timeout = '2s';",
    "ALTER TABLE {t} ALTER COLUMN a SET DEFAULT 1;",
    "RESET lock_timeout;",
    "BEGIN;",
    "ALTER TABLE {t} ADD COLUMN g1 int;",
    "UPDATE {t} SET g1 = a;",
    "COMMIT;",
    "BEGIN;",
    "CREATE INDEX CONCURRENTLY {t}_g1_idx ON {t} (g1);",
    "COMMIT;",
    "UPDATE {t} SET b = 0 WHERE b IS NULL;",
    "DELETE FROM {t} WHERE a < 0;",
    # new tables (no findings on what they create) and type hygiene
    "CREATE TABLE {t}_new (id serial PRIMARY KEY, payload json, at timestamp, code char(3));",
    "CREATE TABLE {t}_ok (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb, at timestamptz, code text);",
    "CREATE INDEX {t}_ok_code ON {t}_ok (code);",
    "ALTER TABLE {t}_ok ADD CONSTRAINT {t}_ok_ck CHECK (code <> '');",
    "ALTER TABLE {t}_ok ALTER COLUMN code SET NOT NULL;",
    "-- tandem:ignore breaking-change\nALTER TABLE {t} DROP COLUMN legacy2;",
    "ALTER TABLE {t} SET (fillfactor = 80);",
    "CREATE TRIGGER {t}_trg BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION touch();",
]

SETUP = """CREATE TABLE refs (id bigint PRIMARY KEY);
""" + "".join(
    "CREATE TABLE {t} (id bigint PRIMARY KEY, ref_id bigint, a int, b int, c int, d int NOT NULL, "
    "e text, v varchar(100), n numeric(12,2), j json, ts timestamp, legacy text, legacy2 text, "
    "old_name text);\nCREATE TABLE {t}_archive (id bigint PRIMARY KEY);\n".format(t="{t}")
    for _ in [0])


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
    names = ["orders", "users", "items", "accounts", "events"]
    tables = [names[i] if i < len(names) else f"t{i}" for i in range(count)]
    with open(os.path.join(out, "setup.sql"), "w") as f:
        f.write("CREATE TABLE refs (id bigint PRIMARY KEY);\n")
        for t in tables:
            f.write(SETUP.split("\n", 1)[1].format(t=t))
    with open(os.path.join(out, "corpus.sql"), "w") as f:
        for t in tables:
            for tpl in TEMPLATES:
                f.write(tpl.format(t=t) + "\n")


main()
