#!/usr/bin/env python3
"""DuckDB side of bench/engine-vs-duckdb.sh: recomputes, in SQL, the work of
`miernik bench compute` (values, group statistics, ranks) from the input files its `--dump DIR`
wrote, times it, and compares the results with ours.

Usage: engine_vs_duckdb.py DIR --ours-json '{"seconds": ..., ...}'

One in-memory DuckDB connection with default settings (all cores).

What is timed (`duckdb_seconds`), written as well as we know how to write it for DuckDB:
  1. values: one table of every indicator x unit x year with its numerator, denominator and
     value (growth's lag is a window over each variable-unit series), plus two columns the
     later steps need: the indicator's factor and the value signed for ranking (so the
     steps after this one join nothing but the group memberships);
  2. statistics, one GROUP BY per partition over integer group keys: n, missing, min,
     quartiles as ONE list-valued `quantile_cont(value, [0.25, 0.5, 0.75])` (three separate
     calls cost about 2.5x as much), max, mean, sd and the aggregate ratio;
  3. ranks, one query per partition: competition `rank()` within each indicator-group-year,
     and, as `miernik bench compute` does with its ranks (it hands them to a sink that sums
     them and keeps no table), *summed* rather than written out: per indicator x group x year
     the sum of the ranks and the sum of rank x unit (the second so that a wrong order
     inside a group is caught by the comparison, not only wrong ties).

Why this is a fair peer: it does the same work as our recompute (every value, every group's
statistics, every unit's rank in each of its three groups) and materialises no more than we
do (values and statistics tables; ranks reduced to sums, as ours are). What is not timed on
either side is the same kind of thing: loading inputs (`duckdb_load_seconds`: the CSVs read
into tables, and the group memberships as (unit, year, group) tables per partition with
integer keys, the equivalent of the engine's input `Partition::cell_group`) and our data
generation. Earlier versions of this peer joined text group keys of all three partitions in
one query, called quantile_cont three times and wrote every rank into a table: 41.6 s at
Poland scale, against ~16 s for this one on the same machine.

The comparison (not timed): our values and statistics are loaded and FULL OUTER JOINed with
DuckDB's on their keys (floats within max(1e-9 relative, 1e-9 absolute), missing only equal to
missing, n/missing exact, a row on one side only is a mismatch); our ranks.csv (every unit's
rank, as written by the dump) is reduced to the same per-group sums and compared exactly. Exit
status 1 on any mismatch.
"""
import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time

import duckdb

TOL = 1e-9

LOAD = {
    "units": ("units.csv", {"unit": "INTEGER", "level": "VARCHAR", "woj": "VARCHAR", "typology": "VARCHAR"}),
    # The typology group of each unit per year (a unit changes class when it grows).
    "typology": ("typology.csv", {"unit": "INTEGER", "year": "INTEGER", "typology": "VARCHAR"}),
    "variables": ("variables.csv", {"variable": "INTEGER", "unit": "INTEGER", "year": "INTEGER", "value": "DOUBLE"}),
    "indicators": ("indicators.csv", {"indicator": "INTEGER", "polarity": "VARCHAR", "factor": "DOUBLE", "shape": "VARCHAR",
                                      "a": "INTEGER", "b": "INTEGER", "c": "INTEGER"}),
}

PARTITIONS = ["country", "wojewodztwo", "typology"]

# Group membership per year: every unit is in one group of each partition, keyed by text.
# Turned into integer keys at load time (table `groups` maps them back for the comparison).
MEMBERS_TEXT = """
    SELECT u.unit, t.year, 'country' AS partition, u.level AS key FROM units u JOIN typology t USING (unit)
    UNION ALL SELECT u.unit, t.year, 'wojewodztwo', u.level || '|' || u.woj FROM units u JOIN typology t USING (unit)
    UNION ALL SELECT unit, year, 'typology', typology FROM typology"""

PREPARE = [
    f"CREATE TABLE members_text AS {MEMBERS_TEXT}",
    """CREATE TABLE groups AS
       SELECT partition, key, (row_number() OVER (PARTITION BY partition ORDER BY key))::INTEGER AS grp
       FROM (SELECT DISTINCT partition, key FROM members_text)""",
    *[f"""CREATE TABLE members_{p} AS
          SELECT m.unit, m.year, g.grp FROM members_text m JOIN groups g USING (partition, key)
          WHERE m.partition = '{p}' ORDER BY m.year, m.unit""" for p in PARTITIONS],
    "DROP TABLE members_text",
]

STAT_FLOATS = ["min", "q1", "median", "q3", "max", "mean", "sd", "aggregate"]

VALUES_SQL = """
CREATE TABLE d_values AS
WITH v AS (
    SELECT variable, unit, year, value,
           lag(value) OVER (PARTITION BY variable, unit ORDER BY year) AS prev
    FROM variables
), parts AS (
    SELECT i.indicator, i.factor, i.polarity, a.unit, a.year,
           CASE i.shape WHEN 'ratio' THEN a.value
                        WHEN 'sum_ratio' THEN a.value + b.value
                        WHEN 'growth' THEN a.value - a.prev
                        WHEN 'diff_ratio' THEN a.value - b.value END AS num,
           CASE i.shape WHEN 'ratio' THEN b.value
                        WHEN 'sum_ratio' THEN c.value
                        WHEN 'growth' THEN a.prev
                        WHEN 'diff_ratio' THEN c.value END AS den
    FROM indicators i
    JOIN v a ON a.variable = i.a
    LEFT JOIN v b ON b.variable = i.b AND b.unit = a.unit AND b.year = a.year
    LEFT JOIN v c ON c.variable = i.c AND c.unit = a.unit AND c.year = a.year
), valued AS (
    SELECT indicator, unit, year, num, den, factor, polarity, factor * num / nullif(den, 0) AS value
    FROM parts
)
SELECT indicator, unit, year, num, den, factor, value,
       CASE WHEN polarity = 'lower_better' THEN value ELSE -value END AS rank_key
FROM valued"""

# quantile_cont as one list-valued call or three calls: (in the aggregate, outside it).
QUANTILES = {
    "separate": ("""quantile_cont(v.value, 0.25) AS q1,
       quantile_cont(v.value, 0.5) AS median,
       quantile_cont(v.value, 0.75) AS q3""", "q1, median, q3"),
    "list": ("quantile_cont(v.value, [0.25, 0.5, 0.75]) AS q", "q[1] AS q1, q[2] AS median, q[3] AS q3"),
}


def stats_sql(p, quantiles):
    inner, outer = QUANTILES[quantiles]
    return f"""
CREATE TABLE d_stats_{p} AS
SELECT indicator, grp, year, n, missing, min, {outer}, max, mean, sd, aggregate
FROM (
SELECT v.indicator, m.grp, v.year,
       count(v.value) AS n,
       count(*) - count(v.value) AS missing,
       min(v.value) AS min,
       {inner},
       max(v.value) AS max,
       avg(v.value) AS mean,
       stddev_samp(v.value) AS sd,
       any_value(v.factor)
         * sum(v.num) FILTER (WHERE v.num IS NOT NULL AND v.den IS NOT NULL)
         / nullif(sum(v.den) FILTER (WHERE v.num IS NOT NULL AND v.den IS NOT NULL), 0) AS aggregate
FROM d_values v
JOIN members_{p} m USING (unit, year)
GROUP BY v.indicator, m.grp, v.year
)"""


def ranks_sql(p):
    return f"""
CREATE TABLE d_ranks_{p} AS
SELECT indicator, grp, year, sum(rank) AS rank_sum, sum(rank * unit) AS rank_unit_sum
FROM (
    SELECT v.indicator, m.grp, v.year, v.unit,
           rank() OVER (PARTITION BY v.indicator, m.grp, v.year ORDER BY v.rank_key) AS rank
    FROM d_values v
    JOIN members_{p} m USING (unit, year)
    WHERE v.value IS NOT NULL
)
GROUP BY indicator, grp, year"""


OURS = {
    "values": ("values.csv", {"indicator": "INTEGER", "unit": "INTEGER", "year": "INTEGER", "value": "DOUBLE"}),
    "stats": ("stats.csv", {"indicator": "INTEGER", "partition": "VARCHAR", "group": "VARCHAR", "year": "INTEGER",
                            "n": "BIGINT", "missing": "BIGINT", **{c: "DOUBLE" for c in STAT_FLOATS}}),
    "ranks_rows": ("ranks.csv", {"indicator": "INTEGER", "partition": "VARCHAR", "unit": "INTEGER", "year": "INTEGER",
                                 "rank": "BIGINT"}),
}

# What each output is keyed by, and how its other columns are compared (floats, exact).
COMPARE = {
    "values": (["indicator", "unit", "year"], ["value"], []),
    "stats": (["indicator", "partition", "group", "year"], STAT_FLOATS, ["n", "missing"]),
    "ranks": (["indicator", "partition", "group", "year"], [], ["rank_sum", "rank_unit_sum"]),
}


def read_csv(path, columns):
    cols = ", ".join(f"'{k}': '{t}'" for k, t in columns.items())
    return f"read_csv('{path}', header = true, delim = ',', columns = {{{cols}}})"


def same_value(a, b, is_float):
    """The rule the SQL applies, for showing only the differing columns of a mismatch."""
    if a is None or b is None or not is_float:
        return a == b
    return abs(a - b) <= max(TOL, TOL * max(abs(a), abs(b)))


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_comparison(con):
    """DuckDB's per-partition results under our keys (`d_*`), and ours (`o_*`)."""
    union = lambda t, cols: " UNION ALL ".join(
        f"SELECT x.indicator, '{p}' AS partition, g.key AS \"group\", x.year, {cols} FROM {t}_{p} x "
        f"JOIN groups g ON g.partition = '{p}' AND g.grp = x.grp" for p in PARTITIONS)
    stat_cols = ", ".join(["x.n", "x.missing"] + [f"x.{c}" for c in STAT_FLOATS])
    con.execute(f"CREATE TABLE d_stats AS {union('d_stats', stat_cols)}")
    con.execute(f"CREATE TABLE d_ranks AS {union('d_ranks', 'x.rank_sum, x.rank_unit_sum')}")
    for name, (file, columns) in OURS.items():
        con.execute(f"CREATE TABLE o_{name} AS SELECT * FROM {read_csv(os.path.join(con.dump_dir, file), columns)}")
    # Our ranks, one row per unit and group, reduced to DuckDB's sums; the group of each
    # unit from the same memberships.
    members = " UNION ALL ".join(f"SELECT '{p}' AS partition, unit, year, grp FROM members_{p}" for p in PARTITIONS)
    con.execute(f"""CREATE TABLE o_ranks AS
        SELECT r.indicator, r.partition, g.key AS "group", r.year,
               sum(r.rank) AS rank_sum, sum(r.rank * r.unit) AS rank_unit_sum
        FROM o_ranks_rows r
        JOIN ({members}) m USING (partition, unit, year)
        JOIN groups g ON g.partition = m.partition AND g.grp = m.grp
        GROUP BY ALL""")


def compare(con, name):
    keys, floats, exact = COMPARE[name]
    q = lambda c: f'"{c}"'
    on = " AND ".join(f"o.{q(k)} = d.{q(k)}" for k in keys)
    close = [f"coalesce((o.{q(c)} IS NULL AND d.{q(c)} IS NULL) OR abs(o.{q(c)} - d.{q(c)}) <= "
             f"greatest({TOL}, {TOL} * greatest(abs(o.{q(c)}), abs(d.{q(c)}))), false)" for c in floats]
    same = [f"o.{q(c)} IS NOT DISTINCT FROM d.{q(c)}" for c in exact]
    ok = " AND ".join([f"o.{q(keys[0])} IS NOT NULL AND d.{q(keys[0])} IS NOT NULL"] + close + same)
    cols = ", ".join([f"coalesce(o.{q(k)}, d.{q(k)}) AS {q(k)}" for k in keys]
                     + [f"o.{q(c)} AS {q('ours_' + c)}, d.{q(c)} AS {q('duckdb_' + c)}" for c in floats + exact]
                     + [f"o.{q(keys[0])} IS NOT NULL AS in_ours, d.{q(keys[0])} IS NOT NULL AS in_duckdb"])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE mm AS
        SELECT {cols} FROM o_{name} o FULL OUTER JOIN d_{name} d ON {on} WHERE NOT ({ok})""")
    n_ours = con.execute(f"SELECT count(*) FROM o_{name}").fetchone()[0]
    n_duck = con.execute(f"SELECT count(*) FROM d_{name}").fetchone()[0]
    bad, one_side = con.execute("SELECT count(*), count(*) FILTER (WHERE NOT (in_ours AND in_duckdb)) FROM mm").fetchone()
    print(f"{name}: compared {n_duck} rows (ours {n_ours}), mismatches {bad} ({one_side} on one side only)")
    if bad:
        cur = con.execute(f"SELECT * FROM mm ORDER BY {', '.join(q(k) for k in keys)} LIMIT 5")
        names = [d[0] for d in cur.description]
        for row in cur.fetchall():
            r = dict(zip(names, row))
            where = "" if r["in_ours"] and r["in_duckdb"] else (" only in ours" if r["in_ours"] else " only in duckdb")
            diffs = [f"{c} ours={r['ours_' + c]!r} duckdb={r['duckdb_' + c]!r}" for c in floats + exact
                     if where or not same_value(r["ours_" + c], r["duckdb_" + c], c in floats)]
            print(f"  {' '.join(f'{k}={r[k]}' for k in keys)}{where}: " + ", ".join(diffs))
    return bad


class Con:
    """The DuckDB connection with the dump directory at hand."""

    def __init__(self, dump_dir):
        self.con = duckdb.connect()
        self.dump_dir = dump_dir

    def execute(self, sql):
        return self.con.execute(sql)

    def close(self):
        self.con.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="directory written by `miernik bench compute --dump`")
    ap.add_argument("--ours-json", required=True, help="the JSON object `miernik bench compute --format json` printed")
    ap.add_argument("--quantiles", choices=sorted(QUANTILES), default="list",
                    help="quantile_cont as one list-valued call (default) or three calls")
    args = ap.parse_args()
    # The JSON object is the last line of what the command printed (tolerate anything before).
    ours = json.loads(args.ours_json.strip().splitlines()[-1])
    ours_seconds = float(ours["seconds"])
    if not ours_seconds > 0:
        sys.exit(f"engine_vs_duckdb: ours reported seconds = {ours_seconds}")

    tmp = tempfile.mkdtemp(prefix="duckdb-spill-")  # spill here, not in the working directory
    try:
        con = Con(args.dir)
        con.execute(f"SET temp_directory = '{tmp}'")

        t = time.perf_counter()
        for table, (file, columns) in LOAD.items():
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {read_csv(os.path.join(args.dir, file), columns)}")
        for sql in PREPARE:
            con.execute(sql)
        load_seconds = time.perf_counter() - t

        steps = {}

        def timed(name, sql):
            t = time.perf_counter()
            con.execute(sql)
            steps[name] = steps.get(name, 0.0) + time.perf_counter() - t

        timed("values", VALUES_SQL)
        for p in PARTITIONS:
            timed("stats", stats_sql(p, args.quantiles))
        for p in PARTITIONS:
            timed("ranks", ranks_sql(p))
        duck_seconds = sum(steps.values())
        duck_rss = peak_rss_mb()
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        print(f"duckdb {duckdb.__version__}, {threads} threads: " + ", ".join(f"{k} {v:.2f}s" for k, v in steps.items()))

        prepare_comparison(con)
        bad = sum(compare(con, name) for name in COMPARE)
        con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if "peak_rss_mb" in ours:
        print(f"ours_peak_rss_mb: {float(ours['peak_rss_mb']):.1f}")
    print(f"duckdb_peak_rss_mb: {duck_rss:.1f}")
    print(f"ours_seconds: {ours_seconds:.3f}")
    print(f"duckdb_seconds: {duck_seconds:.3f}")
    print(f"duckdb_load_seconds: {load_seconds:.3f}")
    if bad:
        print(f"MISMATCH: {bad} rows differ between ours and DuckDB", file=sys.stderr)
    print(f"speedup_vs_duckdb: {duck_seconds / ours_seconds:.1f}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
