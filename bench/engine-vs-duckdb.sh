#!/usr/bin/env bash
# Full recompute speed: miernik's engine vs DuckDB (in-memory, default threads = all cores)
# doing the same work in SQL on the same data, and a check that both give the same answers.
# Usage: bench/engine-vs-duckdb.sh   (env UNITS=2900 INDICATORS=750 YEARS=15; MIERNIK_BIN to
# use a prebuilt binary instead of `cargo build`; installs the duckdb Python package if absent).
#
# `miernik bench compute` generates synthetic units, ~INDICATORS/3 variables and INDICATORS
# ratio/growth indicators, times the full recompute (values; per group of country/woj/
# typology: n, missing, min, quartiles, max, mean, sd, aggregate ratio; competition ranks)
# and dumps inputs and outputs as CSV into a temporary directory. bench/engine_vs_duckdb.py
# loads the inputs into DuckDB, times three CREATE TABLE AS queries (values with a lag
# window, GROUP BY statistics, rank() window), then joins our outputs against DuckDB's.
#
# Reading the output: per output "compared N rows ..., mismatches M" (floats equal within
# 1e-9 relative or absolute, missing = missing, n/missing/rank exact; the first 5
# mismatches are listed, and any mismatch makes the exit status 1). Then
#   ours_seconds         our recompute, excluding data generation
#   duckdb_seconds       DuckDB's compute queries only, excluding CSV loading
#   duckdb_load_seconds  DuckDB reading the input CSVs (not in duckdb_seconds)
#   speedup_vs_duckdb    duckdb_seconds / ours_seconds; above 1 means we are faster
# (last line). Peak RSS of both sides is printed too (DuckDB's includes the Python process
# and the loaded inputs).
set -euo pipefail
cd "$(dirname "$0")/.."
units="${UNITS:-2900}"
indicators="${INDICATORS:-750}"
years="${YEARS:-15}"

python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
if [[ -n "${MIERNIK_BIN:-}" ]]; then
    bin="$MIERNIK_BIN"
else
    cargo build --release --quiet -p cli
    bin=./target/release/miernik
fi

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

ours="$("$bin" bench compute --units "$units" --indicators "$indicators" --years "$years" \
    --dump "$dir" --format json)"
echo "miernik: $ours"
python3 bench/engine_vs_duckdb.py "$dir" --ours-json "$ours"
