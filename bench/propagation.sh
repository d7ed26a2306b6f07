#!/usr/bin/env bash
# How fast a change reaches every node (issue 20, point 3). NODES `miernik serve` nodes
# (default 2) on one fresh PostgreSQL database seeded with the demo; then ROUNDS times
# (default 10) one value is changed by `miernik import observations` from another process,
# and each node's /health is polled every 5 ms until its snapshot version moves. Printed per
# node: the milliseconds from the import's commit (the command's exit) to the new snapshot
# in service — the notice (LISTEN/NOTIFY), the rebuild and the swap — min / median / max.
# With SQLITE=1 the same is done with one node on a SQLite demo database (the data version
# poll instead of notices). With DB_URL the nodes serve that database as it is (not seeded,
# not dropped): e.g. the synthetic country `miernik bench load --postgres URL` leaves in
# PostgreSQL (database miernik_bench_load_2900_750_15), to time a change at Poland's scale.
#
# Usage: bench/propagation.sh    Env: MIERNIK_BIN (default target/release/miernik), NODES,
#   ROUNDS, PG_URL (default postgres://postgres@127.0.0.1:5432/test), SQLITE=1, DB_URL,
#   YEAR (of the changed value, default 2024).
# Exit status 1 when a node did not see a change within 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "propagation: $*" >&2; }
die() { echo "propagation: ERROR: $*" >&2; exit 2; }

bin="${MIERNIK_BIN:-target/release/miernik}"
nodes="${NODES:-2}"
rounds="${ROUNDS:-10}"
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
[[ -x "$bin" ]] || die "no miernik binary at $bin"
tmp="$(mktemp -d)"
pids=()
db_name=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n "$db_name" ]] && psql "$pg_url" -qAt -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

now_us() { local t="${EPOCHREALTIME//[.,]/}"; echo "$t"; }
free_port() { python3 -c 'import random, socket
for _ in range(500):
    p = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()'; }
version() { { curl -s --max-time 2 "http://127.0.0.1:$1/health" || true; } | sed -n 's/^snapshot \([0-9]*\)$/\1/p'; }
wait_version() { # PORT BEYOND -> waits until the version is above BEYOND (10 s at most)
    local end=$(($(now_us) + 10000000)) v
    while (($(now_us) < end)); do
        v="$(version "$1")"
        [[ -n "$v" ]] && ((v > $2)) && return 0
        sleep 0.005
    done
    return 1
}

if [[ -n "${DB_URL:-}" ]]; then
    db_url="$DB_URL"
    backend="${DB_URL%%:*}"
    [[ "$backend" == sqlite ]] && nodes=1
elif [[ "${SQLITE:-}" == 1 ]]; then
    db_url="sqlite:$tmp/demo.db"
    backend=sqlite
    nodes=1
else
    db_name="miernik_propagation_$$"
    psql "$pg_url" -qAt -c "CREATE DATABASE $db_name" >/dev/null
    db_url="${pg_url%/*}/$db_name"
    backend=postgres
fi

if [[ -z "${DB_URL:-}" ]]; then
    say "seeding the demo into $backend"
    seed_port="$(free_port)"
    "$bin" demo --db "$db_url" --addr "127.0.0.1:$seed_port" >"$tmp/seed.log" 2>&1 &
    seed=$!
    for _ in $(seq 1 600); do
        v="$(version "$seed_port")"; [[ -n "$v" && "$v" -gt 0 ]] && break
        kill -0 "$seed" 2>/dev/null || { cat "$tmp/seed.log" >&2; die "demo exited"; }
        sleep 0.2
    done
    kill "$seed"; wait "$seed" 2>/dev/null || true
fi

ports=()
for i in $(seq 1 "$nodes"); do
    p="$(free_port)"
    "$bin" serve --db "$db_url" --addr "127.0.0.1:$p" >"$tmp/node$i.log" 2>&1 &
    pids+=("$!")
    ports+=("$p")
done
for i in "${!ports[@]}"; do
    p="${ports[$i]}"
    for _ in $(seq 1 600); do
        v="$(version "$p")"; [[ -n "$v" && "$v" -gt 0 ]] && break
        kill -0 "${pids[$i]}" 2>/dev/null || break # exited: no use waiting
        sleep 0.1
    done
    [[ -n "$v" && "$v" -gt 0 ]] || { tail -5 "$tmp/node$((i + 1)).log" >&2; die "node on $p did not start (its log's end above)"; }
done
say "$nodes node(s) ready on ${ports[*]}"

# One gmina and the population variable: each round sets a new value.
unit="$("$bin" --db "$db_url" units --kind gmina_wiejska --format csv 2>/dev/null | sed -n '2p' | cut -d, -f1)"
[[ -n "$unit" ]] || die "no gmina found"
declare -A times
failed=0
for r in $(seq 1 "$rounds"); do
    printf 'unit,variable,year,value\n%s,ludnosc,%s,%d\n' "$unit" "${YEAR:-2024}" $((5000 + r)) >"$tmp/one.csv"
    before=()
    for p in "${ports[@]}"; do before+=("$(version "$p")"); done
    "$bin" --db "$db_url" import observations "$tmp/one.csv" --source propagation --format json >/dev/null 2>"$tmp/import.err" || { cat "$tmp/import.err" >&2; die "import failed"; }
    t0=$(now_us)
    for i in "${!ports[@]}"; do
        if wait_version "${ports[$i]}" "${before[$i]}"; then
            times[$i]+="$(( ($(now_us) - t0) / 1000 )) "
        else
            say "node $((i + 1)) did not see round $r within 10 s"
            failed=1
        fi
    done
    sleep 0.3
done

echo "backend: $backend, nodes: $nodes, rounds: $rounds (one value changed by another process each round)"
for i in "${!ports[@]}"; do
    sorted="$(tr ' ' '\n' <<<"${times[$i]:-}" | sed '/^$/d' | sort -n)"
    n="$(wc -l <<<"$sorted")"
    echo "node $((i + 1)): ms from commit to the new snapshot in service: min $(head -1 <<<"$sorted"), median $(sed -n "$(( (n + 1) / 2 ))p" <<<"$sorted"), max $(tail -1 <<<"$sorted")"
done
exit "$failed"
