#!/usr/bin/env bash
# Two `miernik serve` nodes on one PostgreSQL under mixed load (issue 20, point 8), with an
# import in the middle and faults: one node killed, PostgreSQL restarted.
#
# Set-up: a new database miernik_cluster_<pid> on the PostgreSQL server at $PG_URL (dropped
# at exit) is seeded with the demo data (`miernik demo --db` until its /health shows a
# snapshot, then stopped), and two `miernik serve` nodes start on it, each on a free port.
# A node is ready when /ready answers 200 (or, on a binary without /ready, when /health
# shows `snapshot N` with N > 0).
#
# Phases (--fault chooses the fault phases; the load phase always runs first):
#   load      DURATION s of mixed traffic at CONNECTIONS connections, half on each node (two
#             wrk processes straight at the nodes, no proxy), the mix of bench/mixed-load.sh
#             (unit cards PL/EN, indicator pages, reports HTML/PDF, API data JSON/CSV/XLSX,
#             comparisons, the table builder). At DURATION/2 `miernik import observations`
#             writes IMPORT_ROWS values (the long layout, demo units, an existing catalogue
#             variable) into the same database; the script times the import and how long
#             until both nodes' /health show a new snapshot (polled every 50 ms): the
#             cross-node propagation. Fails on any non-2xx answer or socket error.
#   node      FAULT_DURATION s of the same load; at a third of it node B gets SIGKILL. Node
#             A's answers in that window must all be 2xx with no socket error; node B's
#             figures are reported (its connections fail, as they must). Node B is started
#             again afterwards and the time until it is ready is reported.
#   postgres  FAULT_DURATION s of load; an import (A) is committed, then a second import (B)
#             starts and PostgreSQL is restarted under it (pg_ctlcluster … restart: the
#             machine's shared server; it is never left down). Asserts: no 5xx other than
#             503 on either node, 503s only between the restart and the nodes' recovery,
#             no socket errors or timeouts, both nodes (the same processes, not restarted)
#             answer every path 200 after, import A's values all still there, import B's
#             values all there or none (never half; all there when it reported success).
#
# Usage: bench/cluster-load.sh [--fault none|node|postgres|all] [--format table|json]
#                              [--json FILE]
#   --fault    which fault phases follow the load phase (default: all)
#   --format   json: print the figures as one JSON object on stdout instead of the table
#   --json     also write the JSON object to FILE
# Env: MIERNIK_BIN (default target/release/miernik; this script never builds), DURATION
#   (seconds of the load phase, default 60), FAULT_DURATION (seconds of each fault phase,
#   default DURATION/2, at least 15), CONNECTIONS (total, default 64), THREADS (wrk threads
#   per node, default 1), IMPORT_ROWS (default 3000), VARIABLE (the variable the imports
#   write; default: the one with the most observations, all ≥ 100), PG_URL (the server,
#   default postgres://postgres@127.0.0.1:5432, trust auth), READY_TIMEOUT (seconds, default
#   300), RECOVERY_TIMEOUT (seconds the nodes get to answer again after PostgreSQL is back,
#   default 30). Installs wrk (Debian package) if missing.
# Exit status 1 when any check fails; the table says which.
# Caveat: wrk, both nodes and PostgreSQL share this machine's cores; the figures compare
# runs on one machine, not capacity.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "cluster: $*" >&2; }
die() { echo "cluster: ERROR: $*" >&2; exit 2; }

fault=all
format=table
json_file=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --fault) fault="${2:-}"; shift 2 ;;
        --fault=*) fault="${1#*=}"; shift ;;
        --format) format="${2:-}"; shift 2 ;;
        --format=*) format="${1#*=}"; shift ;;
        --json) json_file="${2:-}"; shift 2 ;;
        --json=*) json_file="${1#*=}"; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
case "$fault" in none|node|postgres|all) ;; *) die "--fault none|node|postgres|all, not '$fault'" ;; esac
case "$format" in table|json) ;; *) die "--format table|json, not '$format'" ;; esac

duration="${DURATION:-60}"
fault_duration="${FAULT_DURATION:-$((duration / 2))}"
((fault_duration >= 15)) || fault_duration=15
connections="${CONNECTIONS:-64}"
threads="${THREADS:-1}"
import_rows="${IMPORT_ROWS:-3000}"
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
ready_timeout="${READY_TIMEOUT:-300}"
recovery_timeout="${RECOVERY_TIMEOUT:-30}"
bin="${MIERNIK_BIN:-target/release/miernik}"
per_node=$((connections / 2))
((per_node >= 1)) || die "CONNECTIONS must be at least 2"
((threads <= per_node)) || threads=$per_node
[[ -x "$bin" ]] || die "no miernik binary at $bin (cargo build --release -p cli, or set MIERNIK_BIN)"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
for tool in curl psql pg_isready pg_ctlcluster; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
if ! command -v wrk >/dev/null; then
    say "installing wrk"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >/dev/null 2>&1 || die "apt-get install wrk failed"
fi
pg_host="$(sed -E 's#^[a-z]+://([^@/]*@)?([^:/]+).*#\2#' <<<"$pg_url")"
pg_port="$(sed -nE 's#^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p' <<<"$pg_url")"
pg_port="${pg_port:-5432}"
pg_version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | head -n1)"
lua="$PWD/bench/cluster/mixed.lua"
[[ -f "$lua" ]] || die "missing $lua"

db="miernik_cluster_$$"
db_url="$pg_url/$db"
tmp="$(mktemp -d /tmp/miernik-cluster.XXXXXX)"
children=()   # every background process this script started
node_pid_a="" node_pid_b=""
db_created=0

pg_up() { pg_isready -h "$pg_host" -p "$pg_port" -q 2>/dev/null; }
wait_pg() {
    local i
    for i in $(seq 1 "${1:-600}"); do pg_up && return 0; sleep 0.1; done
    return 1
}
stop_pid() {
    local pid="$1"
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${children[@]}"; do stop_pid "$pid"; done
    # The server is shared: whatever happened, it is running when this script ends.
    if ! pg_up; then
        say "PostgreSQL is down: starting it"
        pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start >/dev/null 2>&1 || true
        wait_pg 600 || say "WARNING: PostgreSQL did not come back"
    fi
    if ((db_created)); then
        psql "$pg_url/postgres" -qAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 \
            || say "WARNING: could not drop database $db"
    fi
    if ((rc != 0)) && [[ -d "$tmp" ]]; then
        for f in "$tmp"/*.log; do
            [[ -s "$f" ]] || continue
            echo "--- last lines of $(basename "$f")" >&2
            tail -n 15 "$f" >&2
        done
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

now_ms() { local t="${EPOCHREALTIME//[.,]/}"; echo $((t / 1000)); }
port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
taken_ports=" "
free_port() {
    local p
    for _ in $(seq 1 500); do
        # Below the kernel's ephemeral range (32768–60999 here): a node restarted on its port
        # must not find it taken as the source port of some client's connection (wrk's).
        p=$((20000 + RANDOM % 12000))
        [[ "$taken_ports" == *" $p "* ]] && continue
        port_in_use "$p" && continue
        taken_ports+="$p "
        echo "$p"
        return 0
    done
    die "no free port found"
}

# --- nodes -------------------------------------------------------------------------------
start_serve() { # NAME PORT -> pid in $started_pid
    "$bin" serve --db "$db_url" --addr "127.0.0.1:$2" >>"$tmp/node-$1.log" 2>&1 &
    started_pid=$!
    children+=("$started_pid")
}
health_version() { # PORT -> the snapshot version in /health, or nothing
    { curl -s --max-time 2 "http://127.0.0.1:$1/health" 2>/dev/null || true; } | awk '$1 == "snapshot" { print $2 }'
}
has_ready=""
node_ready() { # PORT: /ready 200; /ready 404 (not there yet): /health shows snapshot N > 0
    local code v
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/ready" 2>/dev/null || true)"
    if [[ "$code" == 200 ]]; then has_ready=yes; return 0; fi
    if [[ "$code" == 404 ]]; then
        has_ready=no
        v="$(health_version "$1")"
        [[ -n "$v" && "$v" -gt 0 ]] && return 0
    fi
    return 1
}
wait_ready() { # NAME PORT PID
    local i
    for i in $(seq 1 $((ready_timeout * 10))); do
        node_ready "$2" && return 0
        kill -0 "$3" 2>/dev/null || { tail -n 20 "$tmp/node-$1.log" >&2; die "node $1 exited before it was ready"; }
        sleep 0.1
    done
    die "node $1 was not ready within $ready_timeout s"
}
peak_rss_mb() { # PID -> VmHWM in MB (or nothing when the process is gone)
    awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || true
}

# --- the database ------------------------------------------------------------------------
pg_up || die "PostgreSQL at $pg_host:$pg_port is not accepting connections"
psql "$pg_url/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null || die "CREATE DATABASE $db failed"
db_created=1
say "database $db; seeding it with the demo"
seed_port="$(free_port)"
t_seed=$(now_ms)
"$bin" demo --db "$db_url" --addr "127.0.0.1:$seed_port" >"$tmp/seed.log" 2>&1 &
seed_pid=$!
children+=("$seed_pid")
for _ in $(seq 1 $((ready_timeout * 10))); do
    v="$(health_version "$seed_port")"
    [[ -n "$v" && "$v" -gt 0 ]] && break
    kill -0 "$seed_pid" 2>/dev/null || { cat "$tmp/seed.log" >&2; die "miernik demo exited"; }
    sleep 0.1
done
[[ -n "${v:-}" && "$v" -gt 0 ]] || die "the demo showed no snapshot within $ready_timeout s"
stop_pid "$seed_pid"
seed_seconds=$(( ($(now_ms) - t_seed) / 1000 ))
say "demo seeded in ${seed_seconds} s"

port_a="$(free_port)"
port_b="$(free_port)"
start_serve a "$port_a"; node_pid_a=$started_pid
start_serve b "$port_b"; node_pid_b=$started_pid
t_start=$(now_ms)
wait_ready a "$port_a" "$node_pid_a"
wait_ready b "$port_b" "$node_pid_b"
start_ready_ms=$(( $(now_ms) - t_start ))
say "nodes ready in ${start_ready_ms} ms: a at 127.0.0.1:$port_a (pid $node_pid_a), b at 127.0.0.1:$port_b (pid $node_pid_b); readiness by $([[ $has_ready == yes ]] && echo /ready || echo '/health (no /ready in this binary)')"

# --- the paths (the mix of bench/mixed-load.sh) --------------------------------------------
base="http://127.0.0.1:$port_a"
# shellcheck source=bench/lib/mixed-paths.sh
source bench/lib/mixed-paths.sh
discover_paths
printf '%s\n' "${paths[@]}" >"$tmp/paths.txt"
all_paths_ok() { # PORT: every path answers 200 (prints the first that does not)
    local p code
    for p in "${paths[@]}"; do
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "http://127.0.0.1:$1$p" || true)"
        [[ "$code" == 200 ]] || { echo "GET $p answers $code"; return 1; }
    done
}
for port in "$port_a" "$port_b"; do
    why="$(all_paths_ok "$port")" || die "on 127.0.0.1:$port before the load: $why"
done
say "${#paths[@]} paths: ${#gminy[@]} gmina cards (+ English), ${#powiaty[@]} powiat cards, ${#indicators[@]} indicator pages, reports (HTML, PDF), API data (JSON, CSV, XLSX), comparisons"

# --- imports -------------------------------------------------------------------------------
psql_db() { psql "$db_url" -qAt -v ON_ERROR_STOP=1 "$@"; }
variable="${VARIABLE:-$(psql_db -c "SELECT v.code FROM observation o JOIN variable v ON v.id = o.variable_id
    WHERE o.value IS NOT NULL GROUP BY v.code HAVING min(o.value) >= 100 ORDER BY count(*) DESC, v.code LIMIT 1")}"
[[ -n "$variable" ]] || die "no variable to import found"
available="$(psql_db -c "SELECT count(*) FROM observation o JOIN variable v ON v.id = o.variable_id WHERE v.code = '$variable' AND o.value IS NOT NULL")"
((available >= 3 * import_rows)) || { import_rows=$((available / 3)); say "IMPORT_ROWS lowered to $import_rows (the variable has $available values)"; }
say "imports write $import_rows values of $variable"
# make_import FILE SLOT DELTA: the long layout over rows SLOT*N .. SLOT*N+N-1 of the variable
# (newest years first), each value its current one + DELTA: every row a change.
make_import() {
    psql_db -c "\\copy (SELECT u.code AS unit, v.code AS variable, o.year AS year, o.value + $3 AS value
        FROM observation o JOIN unit u ON u.id = o.unit_id JOIN variable v ON v.id = o.variable_id
        WHERE v.code = '$variable' AND o.value IS NOT NULL
        ORDER BY o.year DESC, u.code LIMIT $import_rows OFFSET $(($2 * import_rows))) TO '$1' WITH (FORMAT csv, HEADER true)"
    [[ "$(($(wc -l <"$1") - 1))" == "$import_rows" ]] || die "$1 has $(($(wc -l <"$1") - 1)) rows, not $import_rows"
}
# stored FILE: how many of the file's values the database holds now.
stored() {
    psql_db <<SQL
CREATE TEMP TABLE f (unit TEXT, variable TEXT, year BIGINT, value DOUBLE PRECISION);
\\copy f FROM '$1' WITH (FORMAT csv, HEADER true)
SELECT count(*) FROM f JOIN unit u ON u.code = f.unit JOIN variable v ON v.code = f.variable
    JOIN observation o ON o.unit_id = u.id AND o.variable_id = v.id AND o.year = f.year
    WHERE abs(o.value - f.value) < 1e-6;
SQL
}
run_import() { # FILE LOG -> exit status
    "$bin" import observations "$1" --db "$db_url" --source cluster-load --format json >"$2" 2>&1
}

# --- wrk -----------------------------------------------------------------------------------
wrk_pids=()
start_wrk() { # NAME PORT SECONDS
    wrk -t"$threads" -c"$per_node" -d"${3}s" --timeout 30s --latency -s "$lua" "http://127.0.0.1:$2" -- "$tmp/paths.txt" >"$tmp/wrk-$1.out" 2>&1 &
    wrk_pids+=("$!")
    children+=("$!")
}
wait_wrk() {
    local pid
    for pid in "${wrk_pids[@]}"; do wait "$pid" || true; done
    wrk_pids=()
}
fig() { # NAME KEY: a figure from wrk's `done` (empty if wrk printed none)
    awk -v k="$2" 'f && $1 == k { print $2 } /^== figures/ { f = 1 }' "$tmp/wrk-$1.out" 2>/dev/null
}

# --- results -----------------------------------------------------------------------------
failures=()
fail() { failures+=("$1"); say "FAIL: $1"; }
json_phases=()
table=()
node_json() { # NAME NODE PID -> a JSON object of one node's figures in one phase
    local n="$1"
    printf '{"node":"%s","requests":%s,"rps":%s,"p50_ms":%s,"p90_ms":%s,"p99_ms":%s,"max_ms":%s,"non_2xx":%s,"status_503":%s,"status_5xx_other":%s,"status_4xx":%s,"socket_errors":%s,"errors":{"connect":%s,"read":%s,"write":%s,"timeout":%s},"statuses":"%s","peak_rss_mb":%s}' \
        "$2" "$(fig "$n" requests || true)" "$(fig "$n" rps)" "$(fig "$n" p50_ms)" "$(fig "$n" p90_ms)" "$(fig "$n" p99_ms)" "$(fig "$n" max_ms)" \
        "$(fig "$n" non2xx)" "$(fig "$n" s503)" "$(fig "$n" s5xx_other)" "$(fig "$n" s4xx)" "$(fig "$n" socket_errors)" \
        "$(fig "$n" err_connect)" "$(fig "$n" err_read)" "$(fig "$n" err_write)" "$(fig "$n" err_timeout)" \
        "$(fig "$n" statuses)" "${3:-null}" | sed -E 's/:,/:null,/g; s/:}/:null}/g'
}
table_row() { # PHASE NAME NODE RSS
    local n="$2"
    table+=("$(printf '%-9s %-4s %9s %8s %9s %9s %8s %6s %8s %7s %8s' "$1" "$3" "$(fig "$n" requests)" "$(fig "$n" rps)" \
        "$(fig "$n" p50_ms)" "$(fig "$n" p99_ms)" "$(fig "$n" non2xx)" "$(fig "$n" s503)" "$(fig "$n" s5xx_other)" \
        "$(fig "$n" socket_errors)" "${4:--}")")
}
have_figures() { [[ -n "$(fig "$1" requests)" ]] || { fail "$2: wrk printed no figures ($(tail -n 3 "$tmp/wrk-$1.out" | tr '\n' ' '))"; return 1; }; }

# --- phase: load with an import in the middle -------------------------------------------------
say "phase load: ${duration} s, $connections connections ($per_node per node, wrk -t$threads each, straight at the nodes)"
make_import "$tmp/import-load.csv" 0 1
v0_a="$(health_version "$port_a")"; v0_b="$(health_version "$port_b")"
start_wrk load-a "$port_a" "$duration"
start_wrk load-b "$port_b" "$duration"
sleep $((duration / 2))
t_import0=$(now_ms)
t_seen_a="" t_seen_b=""
run_import "$tmp/import-load.csv" "$tmp/import-load.log" &
import_pid=$!
children+=("$import_pid")
t_import1=""
deadline=$((t_import0 + 60000))
while :; do
    now=$(now_ms)
    if [[ -z "$t_import1" ]] && ! kill -0 "$import_pid" 2>/dev/null; then
        if wait "$import_pid"; then import_rc=0; else import_rc=$?; fi
        t_import1=$now
    fi
    if [[ -z "$t_seen_a" ]]; then v="$(health_version "$port_a")"; [[ -n "$v" && "$v" != "$v0_a" ]] && t_seen_a=$(now_ms); fi
    if [[ -z "$t_seen_b" ]]; then v="$(health_version "$port_b")"; [[ -n "$v" && "$v" != "$v0_b" ]] && t_seen_b=$(now_ms); fi
    [[ -n "$t_import1" && -n "$t_seen_a" && -n "$t_seen_b" ]] && break
    ((now < deadline)) || break
    sleep 0.05
done
if [[ -z "$t_import1" ]]; then wait "$import_pid" || true; fail "load: the import took over 60 s"; import_rc=1; t_import1=$(now_ms); fi
import_ms=$((t_import1 - t_import0))
((import_rc == 0)) || fail "load: miernik import observations failed: $(tail -n 2 "$tmp/import-load.log" | tr '\n' ' ')"
prop() { [[ -n "$1" ]] && echo $(($1 - $2)) || echo null; }
seen_a_ms="$(prop "$t_seen_a" "$t_import1")"; seen_b_ms="$(prop "$t_seen_b" "$t_import1")"
if [[ -n "$t_seen_a" && -n "$t_seen_b" ]]; then
    last=$((t_seen_a > t_seen_b ? t_seen_a : t_seen_b))
    propagation_ms=$((last - t_import1)); propagation_from_start_ms=$((last - t_import0))
else
    propagation_ms=null; propagation_from_start_ms=null
    fail "load: a node showed no new snapshot within 60 s of the import (a: ${t_seen_a:-never}, b: ${t_seen_b:-never})"
fi
say "import of $import_rows rows: ${import_ms} ms; new snapshot on a +${seen_a_ms} ms, on b +${seen_b_ms} ms after it ended"
wait_wrk
rss_a="$(peak_rss_mb "$node_pid_a")"; rss_b="$(peak_rss_mb "$node_pid_b")"
n_load_stored="$(stored "$tmp/import-load.csv")"
[[ "$n_load_stored" == "$import_rows" ]] || fail "load: $n_load_stored of the import's $import_rows values stored"
for n in a b; do
    have_figures "load-$n" "load node $n" || continue
    [[ "$(fig "load-$n" non2xx)" == 0 ]] || fail "load node $n: $(fig "load-$n" non2xx) non-2xx answers ($(fig "load-$n" statuses))"
    [[ "$(fig "load-$n" socket_errors)" == 0 ]] || fail "load node $n: $(fig "load-$n" socket_errors) socket errors"
done
table_row load load-a a "$rss_a"; table_row load load-b b "$rss_b"
json_phases+=("$(printf '{"phase":"load","seconds":%s,"connections":%s,"nodes":[%s,%s],"import":{"rows":%s,"variable":"%s","seconds":%s,"exit":%s,"stored":%s},"propagation_ms":{"a":%s,"b":%s,"both":%s,"both_from_import_start":%s}}' \
    "$duration" "$connections" "$(node_json load-a a "$rss_a")" "$(node_json load-b b "$rss_b")" "$import_rows" "$variable" \
    "$(awk -v m="$import_ms" 'BEGIN { printf "%.3f", m / 1000 }')" "$import_rc" "$n_load_stored" "$seen_a_ms" "$seen_b_ms" "$propagation_ms" "$propagation_from_start_ms")")

# --- phase: one node killed -------------------------------------------------------------------
if [[ "$fault" == node || "$fault" == all ]]; then
    say "phase node: ${fault_duration} s of load; node b gets SIGKILL at $((fault_duration / 3)) s"
    start_wrk node-a "$port_a" "$fault_duration"
    start_wrk node-b "$port_b" "$fault_duration"
    sleep $((fault_duration / 3))
    rss_b_killed="$(peak_rss_mb "$node_pid_b")"
    kill -9 "$node_pid_b"
    wait "$node_pid_b" 2>/dev/null || true
    say "node b killed"
    wait_wrk
    rss_a="$(peak_rss_mb "$node_pid_a")"
    for n in a b; do have_figures "node-$n" "node phase, node $n" || true; done
    [[ "$(fig node-a non2xx)" == 0 ]] || fail "node phase: the surviving node a answered $(fig node-a non2xx) non-2xx ($(fig node-a statuses))"
    [[ "$(fig node-a socket_errors)" == 0 ]] || fail "node phase: the surviving node a had $(fig node-a socket_errors) socket errors"
    # Node b again, as a load balancer would see it come back.
    t0=$(now_ms)
    start_serve b "$port_b"; node_pid_b=$started_pid
    wait_ready b "$port_b" "$node_pid_b"
    restart_ready_ms=$(( $(now_ms) - t0 ))
    why="$(all_paths_ok "$port_b")" || fail "node phase: the restarted node b: $why"
    say "node b back, ready in ${restart_ready_ms} ms"
    table_row node node-a a "$rss_a"; table_row node node-b "b†" "$rss_b_killed"
    json_phases+=("$(printf '{"phase":"node","seconds":%s,"killed":"b","killed_at_s":%s,"nodes":[%s,%s],"restarted_node_ready_ms":%s}' \
        "$fault_duration" "$((fault_duration / 3))" "$(node_json node-a a "$rss_a")" "$(node_json node-b b "$rss_b_killed")" "$restart_ready_ms")")
fi

# --- phase: PostgreSQL restarted ----------------------------------------------------------------
if [[ "$fault" == postgres || "$fault" == all ]]; then
    say "phase postgres: ${fault_duration} s of load; an import, then PostgreSQL restarted under a second one"
    make_import "$tmp/import-a.csv" 1 2
    make_import "$tmp/import-b.csv" 2 3
    pid_a0=$node_pid_a; pid_b0=$node_pid_b
    start_wrk pg-a "$port_a" "$fault_duration"
    start_wrk pg-b "$port_b" "$fault_duration"
    t_phase=$(now_ms)
    sleep 1
    t0=$(now_ms)
    if run_import "$tmp/import-a.csv" "$tmp/import-a.log"; then import_a_rc=0; else import_a_rc=$?; fi
    import_a_ms=$(( $(now_ms) - t0 ))
    ((import_a_rc == 0)) || fail "postgres phase: import A (before the restart) failed: $(tail -n 2 "$tmp/import-a.log" | tr '\n' ' ')"
    n_a_before="$(stored "$tmp/import-a.csv")"
    # Let the load run a while on the new snapshot, then restart under import B.
    until (( $(now_ms) - t_phase >= fault_duration * 1000 / 4 )); do sleep 0.1; done
    t_b0=$(now_ms)
    run_import "$tmp/import-b.csv" "$tmp/import-b.log" &
    import_b_pid=$!
    children+=("$import_b_pid")
    sleep 0.2
    t_down=$(now_ms)
    say "restarting PostgreSQL (the shared server)"
    pg_ctlcluster --skip-systemctl-redirect "$pg_version" main restart >"$tmp/pg-restart.log" 2>&1 || say "pg_ctlcluster restart said: $(tr '\n' ' ' <"$tmp/pg-restart.log")"
    wait_pg 600 || { pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start >/dev/null 2>&1 || true; wait_pg 600 || die "PostgreSQL did not come back"; }
    t_up=$(now_ms)
    say "PostgreSQL back after $((t_up - t_down)) ms"
    if wait "$import_b_pid"; then import_b_rc=0; else import_b_rc=$?; fi
    t_b1=$(now_ms)
    say "import B: started $((t_down - t_b0)) ms before the restart, ended $((t_b1 - t_up)) ms after PostgreSQL was back (exit $import_b_rc)"
    # Recovery: each node (the same process) answers 200 on a unit card, the API and a report.
    probe=("/jst/${gminy[0]}" "/api/v1/data?indicators=$inds&unit=${gminy[0]}&years=last" "/raport/${gminy[0]}")
    recovered() {
        local p
        for p in "${probe[@]}"; do
            [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$1$p" || true)" == 200 ]] || return 1
        done
    }
    rec_a="" rec_b=""
    while (( $(now_ms) - t_up < recovery_timeout * 1000 )); do
        [[ -z "$rec_a" ]] && recovered "$port_a" && rec_a=$(( $(now_ms) - t_up ))
        [[ -z "$rec_b" ]] && recovered "$port_b" && rec_b=$(( $(now_ms) - t_up ))
        [[ -n "$rec_a" && -n "$rec_b" ]] && break
        sleep 0.1
    done
    t_recovered=$(now_ms)
    [[ -n "$rec_a" ]] || fail "postgres phase: node a did not answer 200 within $recovery_timeout s of PostgreSQL's return"
    [[ -n "$rec_b" ]] || fail "postgres phase: node b did not answer 200 within $recovery_timeout s of PostgreSQL's return"
    say "nodes answer 200 again: a +${rec_a:-never} ms, b +${rec_b:-never} ms after PostgreSQL's return"
    left_ms=$(( t_phase + fault_duration * 1000 - $(now_ms) ))
    ((left_ms >= 2000)) || say "note: only ${left_ms} ms of load left after the recovery (FAULT_DURATION is short)"
    wait_wrk
    rss_a="$(peak_rss_mb "$node_pid_a")"; rss_b="$(peak_rss_mb "$node_pid_b")"
    kill -0 "$pid_a0" 2>/dev/null || fail "postgres phase: node a died"
    kill -0 "$pid_b0" 2>/dev/null || fail "postgres phase: node b died"
    for port in "$port_a" "$port_b"; do
        why="$(all_paths_ok "$port")" || fail "postgres phase: after recovery, on 127.0.0.1:$port: $why"
    done
    n_a_after="$(stored "$tmp/import-a.csv")"
    n_b="$(stored "$tmp/import-b.csv")"
    [[ "$n_a_before" == "$import_rows" ]] || fail "postgres phase: import A stored $n_a_before of $import_rows values"
    [[ "$n_a_after" == "$import_rows" ]] || fail "postgres phase: after the restart $n_a_after of import A's $import_rows values are there (lost data)"
    [[ "$n_load_stored" == "$(stored "$tmp/import-load.csv")" ]] || fail "postgres phase: the load phase's import lost values"
    if [[ "$n_b" != 0 && "$n_b" != "$import_rows" ]]; then
        fail "postgres phase: import B (during the restart) is half there: $n_b of $import_rows values"
    fi
    if ((import_b_rc == 0)) && [[ "$n_b" != "$import_rows" ]]; then
        fail "postgres phase: import B reported success but $n_b of $import_rows values are there"
    fi
    import_b_outcome=$([[ "$n_b" == "$import_rows" ]] && echo committed || { [[ "$n_b" == 0 ]] && echo "rolled back" || echo half; })
    say "import A: $n_a_after/$import_rows values after the restart; import B (exit $import_b_rc): $import_b_outcome"
    window_from=$(( t_down / 1000 - 1 )); window_to=$(( t_recovered / 1000 + 1 ))
    for n in a b; do
        have_figures "pg-$n" "postgres phase, node $n" || continue
        [[ "$(fig "pg-$n" s5xx_other)" == 0 ]] || fail "postgres phase node $n: $(fig "pg-$n" s5xx_other) 5xx other than 503 ($(fig "pg-$n" statuses))"
        [[ "$(fig "pg-$n" s4xx)" == 0 ]] || fail "postgres phase node $n: $(fig "pg-$n" s4xx) 4xx answers ($(fig "pg-$n" statuses))"
        [[ "$(fig "pg-$n" socket_errors)" == 0 ]] || fail "postgres phase node $n: $(fig "pg-$n" socket_errors) socket errors (timeouts $(fig "pg-$n" err_timeout))"
        f503="$(fig "pg-$n" first503)"; l503="$(fig "pg-$n" last503)"
        if [[ "${f503:-0}" != 0 ]] && (( f503 < window_from || l503 > window_to )); then
            fail "postgres phase node $n: 503s outside the outage window (from $((f503 - t_down / 1000)) s to $((l503 - t_down / 1000)) s after the restart began; recovered at $(( (t_recovered - t_down) / 1000 )) s)"
        fi
    done
    table_row postgres pg-a a "$rss_a"; table_row postgres pg-b b "$rss_b"
    json_phases+=("$(printf '{"phase":"postgres","seconds":%s,"nodes":[%s,%s],"restart_ms":%s,"recovered_ms_after_postgres":{"a":%s,"b":%s},"import_before":{"rows":%s,"seconds":%s,"exit":%s,"stored_before":%s,"stored_after":%s},"import_during":{"rows":%s,"exit":%s,"stored":%s,"outcome":"%s","started_ms_before_restart":%s,"ended_ms_after_postgres_up":%s}}' \
        "$fault_duration" "$(node_json pg-a a "$rss_a")" "$(node_json pg-b b "$rss_b")" "$((t_up - t_down))" "${rec_a:-null}" "${rec_b:-null}" \
        "$import_rows" "$(awk -v m="$import_a_ms" 'BEGIN { printf "%.3f", m / 1000 }')" "$import_a_rc" "$n_a_before" "$n_a_after" \
        "$import_rows" "$import_b_rc" "$n_b" "$import_b_outcome" "$((t_down - t_b0))" "$((t_b1 - t_up))")")
fi

# --- summary -----------------------------------------------------------------------------------
ok=$([[ ${#failures[@]} -eq 0 ]] && echo true || echo false)
fails_json="$(for f in "${failures[@]}"; do printf '%s\n' "$f"; done | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&"/' | paste -sd, -)"
json="$(printf '{"ok":%s,"binary":"%s","readiness":"%s","cores":%s,"connections":%s,"demo_seed_s":%s,"nodes_ready_ms":%s,"phases":[%s],"failures":[%s]}' \
    "$ok" "$bin" "$([[ $has_ready == yes ]] && echo /ready || echo /health)" "$(nproc)" "$connections" "$seed_seconds" "$start_ready_ms" \
    "$(IFS=,; echo "${json_phases[*]}")" "$fails_json")"
[[ -z "$json_file" ]] || printf '%s\n' "$json" >"$json_file"
if [[ "$format" == json ]]; then
    printf '%s\n' "$json"
else
    echo
    echo "two nodes on one PostgreSQL ($(nproc) cores shared by wrk, both nodes and PostgreSQL; $bin)"
    printf '%-9s %-4s %9s %8s %9s %9s %8s %6s %8s %7s %8s\n' phase node requests req/s p50_ms p99_ms non-2xx 503 5xx-503 sockerr rss_mb
    printf '%s\n' "${table[@]}"
    echo "load: import of $import_rows values ($variable) ${import_ms} ms; new snapshot on both nodes ${propagation_ms} ms after it ended (a ${seen_a_ms}, b ${seen_b_ms}; ${propagation_from_start_ms} ms from its start)"
    [[ -z "${restart_ready_ms:-}" ]] || echo "node: b† killed (SIGKILL) at $((fault_duration / 3)) s, its rss before; restarted, ready in ${restart_ready_ms} ms"
    [[ -z "${t_up:-}" ]] || echo "postgres: restart took $((t_up - t_down)) ms; nodes answer 200 again a +${rec_a:-never} ms, b +${rec_b:-never} ms after; import before: $n_a_after/$import_rows values kept; import during (started $((t_down - t_b0)) ms before the restart, ended $((t_b1 - t_up)) ms after PostgreSQL was back, exit $import_b_rc): $import_b_outcome"
    if [[ "$ok" == true ]]; then echo "cluster_load: ok"; else
        echo "cluster_load: FAILED"
        printf '  - %s\n' "${failures[@]}"
    fi
fi
[[ "$ok" == true ]] || exit 1
