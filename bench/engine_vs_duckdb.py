#!/usr/bin/env python3
"""DuckDB side of bench/engine-vs-duckdb.sh: recomputes, in SQL, the outputs that
`miernik bench compute --dump DIR` wrote (values, stats, ranks) from the same input files,
times it, and compares the results with ours.

Usage: engine_vs_duckdb.py DIR --ours-json '{"seconds": ..., ...}'

One in-memory DuckDB connection with default settings (all cores). `duckdb_load_seconds`
is reading units/variables/indicators CSVs into tables; `duckdb_seconds` is the three
CREATE TABLE AS statements only (values with lag, group statistics, ranks). Our
outputs are then loaded into DuckDB and FULL OUTER JOINed on their keys: floats match
within max(1e-9 relative, 1e-9 absolute), missing only matches missing, n/missing/rank
match exactly, a row on one side only is a mismatch. Exit status 1 on any mismatch.
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

STAT_FLOATS = ["min", "q1", "median", "q3", "max", "mean", "sd", "aggregate"]
OURS = {
    "values": ("values.csv", {"indicator": "INTEGER", "unit": "INTEGER", "year": "INTEGER", "value": "DOUBLE"}),
    "stats": ("stats.csv", {"indicator": "INTEGER", "partition": "VARCHAR", "group": "VARCHAR", "year": "INTEGER",
                            "n": "BIGINT", "missing": "BIGINT", **{c: "DOUBLE" for c in STAT_FLOATS}}),
    "ranks": ("ranks.csv", {"indicator": "INTEGER", "partition": "VARCHAR", "unit": "INTEGER", "year": "INTEGER", "rank": "BIGINT"}),
}

# What each output is keyed by, and how its other columns are compared.
COMPARE = {
    "values": (["indicator", "unit", "year"], ["value"], []),
    "stats": (["indicator", "partition", "group", "year"], STAT_FLOATS, ["n", "missing"]),
    "ranks": (["indicator", "partition", "unit", "year"], [], ["rank"]),
}

# Group membership per year: every unit is in one group of each partition.
MEMBERS = """
    SELECT u.unit, t.year, 'country' AS partition, u.level AS grp FROM units u JOIN typology t USING (unit)
    UNION ALL SELECT u.unit, t.year, 'wojewodztwo', u.level || '|' || u.woj FROM units u JOIN typology t USING (unit)
    UNION ALL SELECT unit, year, 'typology', typology FROM typology"""

COMPUTE = {
    # Numerator and denominator per indicator x unit x year (kept for the aggregate), and
    # the value; growth's lag is a window over each (variable, unit) series.
    "values": """
CREATE TABLE d_values AS
WITH v AS (
    SELECT variable, unit, year, value,
           lag(value) OVER (PARTITION BY variable, unit ORDER BY year) AS prev
    FROM variables
), parts AS (
    SELECT i.indicator, i.factor, a.unit, a.year,
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
)
SELECT indicator, unit, year, num, den, factor * num / nullif(den, 0) AS value
FROM parts""",
    "stats": f"""
CREATE TABLE d_stats AS
SELECT indicator, partition, "group", year, n, missing, min, {{quantiles_out}}, max, mean, sd, aggregate
FROM (
WITH members AS ({MEMBERS}
)
SELECT v.indicator, m.partition, m.grp AS "group", v.year,
       count(v.value) AS n,
       count(*) - count(v.value) AS missing,
       min(v.value) AS min,
       {{quantiles}},
       max(v.value) AS max,
       avg(v.value) AS mean,
       stddev_samp(v.value) AS sd,
       any_value(i.factor)
         * sum(v.num) FILTER (WHERE v.num IS NOT NULL AND v.den IS NOT NULL)
         / nullif(sum(v.den) FILTER (WHERE v.num IS NOT NULL AND v.den IS NOT NULL), 0) AS aggregate
FROM d_values v
JOIN members m USING (unit, year)
JOIN indicators i USING (indicator)
GROUP BY v.indicator, m.partition, m.grp, v.year
)""",
    "ranks": f"""
CREATE TABLE d_ranks AS
WITH members AS ({MEMBERS}
)
SELECT v.indicator, m.partition, v.unit, v.year,
       rank() OVER (PARTITION BY v.indicator, m.partition, m.grp, v.year
                    ORDER BY CASE WHEN i.polarity = 'lower_better' THEN v.value ELSE -v.value END) AS rank
FROM d_values v
JOIN members m USING (unit, year)
JOIN indicators i USING (indicator)
WHERE v.value IS NOT NULL""",
}

# quantile_cont as one list-valued call or three calls: (in the aggregate, outside it).
# At full scale (DuckDB 2.0, 2 cores) the list-valued call took ~8 s against ~20 s for three
# calls, so it is the default; integer group keys instead of the text ones gained nothing.
QUANTILES = {
    "separate": ("""quantile_cont(v.value, 0.25) AS q1,
       quantile_cont(v.value, 0.5) AS median,
       quantile_cont(v.value, 0.75) AS q3""", "q1, median, q3"),
    "list": ("quantile_cont(v.value, [0.25, 0.5, 0.75]) AS q", "q[1] AS q1, q[2] AS median, q[3] AS q3"),
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
        con = duckdb.connect()
        con.execute(f"SET temp_directory = '{tmp}'")

        t = time.perf_counter()
        for table, (file, columns) in LOAD.items():
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {read_csv(os.path.join(args.dir, file), columns)}")
        load_seconds = time.perf_counter() - t

        steps = {}
        inner, outer = QUANTILES[args.quantiles]
        for name, sql in COMPUTE.items():
            t = time.perf_counter()
            con.execute(sql.replace("{quantiles}", inner).replace("{quantiles_out}", outer))
            steps[name] = time.perf_counter() - t
        duck_seconds = sum(steps.values())
        duck_rss = peak_rss_mb()
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        print(f"duckdb {duckdb.__version__}, {threads} threads: " + ", ".join(f"{k} {v:.2f}s" for k, v in steps.items()))

        for name, (file, columns) in OURS.items():
            con.execute(f"CREATE TABLE o_{name} AS SELECT * FROM {read_csv(os.path.join(args.dir, file), columns)}")
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
