#!/usr/bin/env bash
# Full recompute speed: miernik's engine vs DuckDB (in-memory, default threads = all cores)
# doing the same work in SQL on the same data, and a check that both give the same answers.
# Usage: bench/engine-vs-duckdb.sh   (env UNITS=2900 INDICATORS=750 YEARS=15; MIERNIK_BIN to
# use a prebuilt binary instead of `cargo build`; installs the duckdb Python package if absent).
#
# `miernik bench compute` generates synthetic units, ~INDICATORS/5 variables and INDICATORS
# ratio/growth indicators, times the full recompute (values; per group of country/woj/
# typology: n, missing, min, quartiles, max, mean, sd, aggregate ratio; competition ranks,
# summed into a checksum, not kept as a table) and dumps inputs and outputs as CSV into a
# temporary directory. bench/engine_vs_duckdb.py loads the inputs into DuckDB (with the group
# memberships as integer keys per partition, untimed like our data generation) and times the
# same work written as well as we know for DuckDB: values with a lag window; per partition one
# GROUP BY with a single list-valued quantile_cont(v, [0.25, 0.5, 0.75]); per partition
# rank() windows reduced to per-group sums of rank and rank × unit, as our benchmark sums its
# ranks instead of writing them out. See the Python file's docstring for why that is fair.
# Then it compares both sides' outputs.
#
# Reading the output: per output "compared N rows ..., mismatches M" (values and statistics:
# floats equal within 1e-9 relative or absolute, missing = missing, n/missing exact; ranks:
# our every-unit ranks reduced to the same per-group sums, equal exactly; the first 5
# mismatches are listed, and any mismatch makes the exit status 1). Then
#   ours_seconds         our recompute, excluding data generation
#   duckdb_seconds       DuckDB's compute queries only, excluding CSV loading
#   duckdb_load_seconds  DuckDB reading the input CSVs and making the membership tables
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
