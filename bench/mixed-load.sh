#!/usr/bin/env bash
# Mixed load on the demo portal (issue 15): 64 connections for 60 s over unit cards,
# indicator pages, the table builder, API data (JSON), CSV and XLSX exports and PDF
# reports, chosen at random per request. Reports requests/s, latency p50/p90/p99, every
# non-2xx answer and socket error, and the server's peak memory (VmHWM).
#
# Usage: bench/mixed-load.sh
# Env: MIERNIK_BIN (default target/release/miernik; this script never builds), DURATION
#   (seconds, default 60), CONNECTIONS (default 64), THREADS (wrk threads, default 2),
#   BENCH_PORT (first port tried, default 18380). Installs wrk (Debian package) if missing.
# Exit status 1 when any request failed (non-2xx, socket error or timeout).
# Caveat: wrk and the server share this machine's cores; the numbers are for comparing
# runs on one machine, not absolute capacity.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "bench: $*" >&2; }
die() { echo "bench: ERROR: $*" >&2; exit 1; }

duration="${DURATION:-60}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
bin="${MIERNIK_BIN:-target/release/miernik}"
[[ -x "$bin" ]] || die "no miernik binary at $bin (cargo build --release -p cli, or set MIERNIK_BIN)"
command -v curl >/dev/null || die "curl is not installed"
if ! command -v wrk >/dev/null; then
    say "installing wrk"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >/dev/null 2>&1 || die "apt-get install wrk failed"
fi

tmp="$(mktemp -d /tmp/miernik-mixed.XXXXXX)"
server_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local rc=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port="${BENCH_PORT:-18380}"
for _ in $(seq 1 200); do port_in_use "$port" || break; port=$((port + 1)); done
base="http://127.0.0.1:$port"
say "starting the demo at $base"
"$bin" demo --db "sqlite:$tmp/demo.db" --addr "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/" || true)" == 200 ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; die "the server exited"; }
    sleep 0.5
done

# --- the paths ---------------------------------------------------------------------------
# shellcheck source=bench/lib/mixed-paths.sh
source bench/lib/mixed-paths.sh
discover_paths
# Every path must answer 200 before the load, so a failure under load means the load.
for p in "${paths[@]}"; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$base$p")"
    [[ "$code" == 200 ]] || die "GET $p answers $code before the load"
done
say "${#paths[@]} paths: ${#gminy[@]} gmina cards (+ English), ${#powiaty[@]} powiat cards, ${#indicators[@]} indicator pages, reports (HTML, PDF), API data (JSON, CSV, XLSX), comparisons"

lua="$tmp/mixed.lua"
{
    echo "local paths = {"
    for p in "${paths[@]}"; do printf '  "%s",\n' "$p"; done
    cat <<'LUA'
}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failed = 0; byclass = {} end
function request() return wrk.format("GET", paths[math.random(#paths)]) end
function response(status, headers, body)
  if status < 200 or status > 299 then
    failed = failed + 1
    byclass[status] = (byclass[status] or 0) + 1
  end
end
function done(summary, latency, requests)
  local failed_all = 0
  local statuses = {}
  for _, t in ipairs(threads) do
    failed_all = failed_all + t:get("failed")
    for s, n in pairs(t:get("byclass")) do statuses[s] = (statuses[s] or 0) + n end
  end
  local errs = summary.errors
  io.write(string.format("requests: %d in %.1f s (%.0f req/s)\n", summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency_ms: p50 %.1f p90 %.1f p99 %.1f max %.1f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("non_2xx: %d\n", failed_all))
  for s, n in pairs(statuses) do io.write(string.format("  status %d: %d\n", s, n)) end
  io.write(string.format("socket_errors: connect %d read %d write %d timeout %d\n", errs.connect, errs.read, errs.write, errs.timeout))
end
LUA
} >"$lua"

say "wrk -t$threads -c$connections -d${duration}s"
wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 30s -s "$lua" "$base" >"$tmp/wrk.out"
cat "$tmp/wrk.out" | sed -n '/^requests:/,$p'
peak="$(awk '/^VmHWM/ { print $2, $3 }' "/proc/$server_pid/status")"
echo "server_peak_memory: $peak"
non2xx="$(awk '/^non_2xx:/ { print $2 }' "$tmp/wrk.out")"
sockerr="$(awk '/^socket_errors:/ { print $3 + $5 + $7 + $9 }' "$tmp/wrk.out")"
if [[ "${non2xx:-1}" != 0 || "${sockerr:-1}" != 0 ]]; then
    echo "mixed_load: FAILED ($non2xx non-2xx, $sockerr socket errors)"
    exit 1
fi
echo "mixed_load: ok (0 errors)"
