#!/usr/bin/env bash
# Import speed and memory: miernik vs the sqlite3 shell's .import of the same file, in one
# run. Usage: bench/import.sh [ROWS]   (default 10 000 000; needs `apt-get install sqlite3`
# for the peer). Prints rows/s, seconds, peak RSS and the miernik/peer ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-10000000}"
cargo build --release --locked -p cli
mkdir -p bench/out
./target/release/miernik bench import --rows "$rows" --dir bench/out | tee "bench/out/import-$(date +%Y%m%d-%H%M%S).txt"
