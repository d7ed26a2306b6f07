#!/usr/bin/env bash
# Web peer benchmark: how fast Miernik serves its portal pages compared with nginx serving
# the very same bytes as static files (the upper bound for any HTTP server on this machine).
#
# Usage: bench/portal-vs-nginx.sh
# Env: MIERNIK_BIN (default target/release/miernik; this script never builds - use a release
#   build, a debug one measures nothing useful), DURATION (seconds per wrk run, default 10),
#   THREADS (wrk threads, default 2), CONNECTIONS (wrk connections, default 64),
#   BENCH_PORT (first port tried for miernik, default 18180; nginx gets the next free one).
# Installs wrk and nginx (Debian packages) when missing, without starting the nginx service.
#
# Method:
#   1. `miernik demo` on a temporary database; wait until /health reports an indicator
#      snapshot > 0.
#   2. Pick a gmina unit card (/jst/NNNNNNN, the first gmina linked from the first
#      województwo page, or from its first powiat's page) and the indicator page of the
#      first [[indicator]] in catalogue/indicators.toml (/wskaznik/CODE).
#   3. Save each page's exact body (curl, no compression asked, so identity encoding, as
#      wrk gets it) into a temporary www dir at the same URL path, and start nginx in the
#      foreground as a child of this script with a generated minimal config:
#      worker_processes auto, access_log off, sendfile on, keep-alive without a request
#      limit, default_type text/html, serving that dir on another loopback port.
#   4. For each page: wrk -t2 -c64 -d${DURATION}s --latency against miernik, then against
#      nginx's copy of the file. req/s and the 99th percentile latency are parsed from wrk.
#   5. The sha256 of miernik's body is taken again right before and right after its wrk run,
#      and nginx's body is checked too: all must equal the saved file (same bytes served),
#      otherwise the run fails.
# Caveats: wrk, miernik and nginx share this machine's 2 cores, so wrk's own CPU use is
# taken from the server under test; the ratio (same load generator, same bytes, same
# machine, run back to back) is what to compare, not the absolute req/s. Both servers are
# hit over loopback with HTTP/1.1 keep-alive. A page that does not answer 200 is skipped
# (and makes the exit status 1).
#
# Output: a table (page, server, req/s, p99 latency, body bytes, non-2xx responses, socket
# errors), then per page `ratio_vs_nginx: R` (miernik req/s / nginx req/s; 1 would mean as
# fast as static nginx), and last `portal_vs_nginx_min_ratio: R`, the smallest of those.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "bench: $*" >&2; }
die() { echo "bench: ERROR: $*" >&2; exit 1; }

duration="${DURATION:-10}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-64}"

# --- tools -------------------------------------------------------------------------------
command -v curl >/dev/null || die "curl is not installed"
command -v sha256sum >/dev/null || die "sha256sum is not installed"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Keep the package's init script from starting a system nginx on port 80.
    made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt_log="$(mktemp /tmp/miernik-bench-apt.XXXXXX)"
    apt_ok=1
    { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >"$apt_log" 2>&1 || apt_ok=0
    ((made_policy)) && rm -f /usr/sbin/policy-rc.d
    if ((!apt_ok)); then cat "$apt_log" >&2; rm -f "$apt_log"; die "apt-get install ${missing[*]} failed"; fi
    rm -f "$apt_log"
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

bin="${MIERNIK_BIN:-target/release/miernik}"
[[ -x "$bin" ]] || die "no miernik binary at $bin (cargo build --release -p cli, or set MIERNIK_BIN)"

# --- temp dir, cleanup -------------------------------------------------------------------
tmp="$(mktemp -d /tmp/miernik-bench-web.XXXXXX)"
chmod 755 "$tmp" # nginx workers run as an unprivileged user and must read www/
www="$tmp/www"
mkdir -p "$www"
server_pid=""
nginx_pid=""
stop() {
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    stop "$nginx_pid"
    stop "$server_pid"
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p="$1"
    for _ in $(seq 1 200); do port_in_use "$p" || { echo "$p"; return 0; }; p=$((p + 1)); done
    return 1
}
show_log() { echo "----- $1 -----" >&2; cat "$1" >&2 || true; echo "-----" >&2; }

# --- miernik -----------------------------------------------------------------------------
port="$(free_port "${BENCH_PORT:-18180}")" || die "no free port for miernik"
base="http://127.0.0.1:$port"
say "starting miernik demo at $base ($bin)"
"$bin" demo --db "sqlite:$tmp/demo.db" --addr "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
server_pid=$!
start=$SECONDS
while :; do
    kill -0 "$server_pid" 2>/dev/null || { show_log "$tmp/server.log"; die "miernik exited before the snapshot was built"; }
    health="$(curl -sf --max-time 5 "$base/health" 2>/dev/null || true)"
    snapshot="$(sed -n 's/^snapshot \([0-9][0-9]*\).*/\1/p' <<<"$health")"
    [[ "${snapshot:-0}" -gt 0 ]] && break
    (( SECONDS - start < 300 )) || { show_log "$tmp/server.log"; die "no indicator snapshot after 300 s"; }
    sleep 1
done
say "miernik ready after $((SECONDS - start)) s (snapshot $snapshot)"

fetch() { curl -sf --max-time 30 "$base$1" || die "GET $1 failed"; }
first_link() { grep -oE "href=\"/jst/[0-9]{$1}\"" | head -n1 | grep -oE '[0-9]+' || true; }
woj="$(fetch / | first_link 2)"
[[ -n "$woj" ]] || die "no województwo link on the home page"
woj_page="$(fetch "/jst/$woj")"
gmina="$(first_link 7 <<<"$woj_page")"
if [[ -z "$gmina" ]]; then
    powiat="$(first_link 4 <<<"$woj_page")"
    [[ -n "$powiat" ]] || die "no powiat link on /jst/$woj"
    gmina="$(fetch "/jst/$powiat" | first_link 7)"
fi
[[ -n "$gmina" ]] || die "no gmina link found"
indicator="$(awk '/^\[\[/ { ind = ($0 ~ /^\[\[indicator\]\]/) } ind && /^code *= *"/ { sub(/^code *= *"/, ""); sub(/".*/, ""); print; exit }' catalogue/indicators.toml)"
[[ -n "$indicator" ]] || die "no [[indicator]] code in catalogue/indicators.toml"

names=(unit_card indicator_page)
paths=("/jst/$gmina" "/wskaznik/$indicator")

sha() { sha256sum | cut -d' ' -f1; }
declare -A file_sha=()
measured=()
skipped=()
for i in "${!paths[@]}"; do
    p="${paths[$i]}"
    mkdir -p "$www$(dirname "$p")"
    code="$(curl -s --max-time 30 -o "$www$p" -w '%{http_code}' "$base$p" || true)"
    if [[ "$code" != 200 ]]; then
        say "SKIPPED ${names[$i]} $p: miernik answers ${code:-nothing}, not 200"
        skipped+=("${names[$i]}")
        rm -f "$www$p"
        continue
    fi
    chmod 644 "$www$p"
    file_sha[$i]="$(sha <"$www$p")"
    measured+=("$i")
done
find "$www" -type d -exec chmod 755 {} +

# --- nginx -------------------------------------------------------------------------------
nport="$(free_port $((port + 1)))" || die "no free port for nginx"
nbase="http://127.0.0.1:$nport"
cat >"$tmp/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 65s;
    types { }
    default_type text/html;
    client_body_temp_path $tmp/nginx-body;
    proxy_temp_path $tmp/nginx-proxy;
    fastcgi_temp_path $tmp/nginx-fastcgi;
    uwsgi_temp_path $tmp/nginx-uwsgi;
    scgi_temp_path $tmp/nginx-scgi;
    server {
        listen 127.0.0.1:$nport;
        root $www;
        location / { try_files \$uri =404; }
    }
}
EOF
"$nginx_bin" -t -q -e "$tmp/nginx-error.log" -c "$tmp/nginx.conf" -p "$tmp" >"$tmp/nginx-test.log" 2>&1 || { show_log "$tmp/nginx-test.log"; die "nginx rejects the generated config"; }
say "starting nginx at $nbase (serving $www)"
"$nginx_bin" -e "$tmp/nginx-error.log" -c "$tmp/nginx.conf" -p "$tmp" >"$tmp/nginx.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 1 50); do port_in_use "$nport" && break; sleep 0.1; done
kill -0 "$nginx_pid" 2>/dev/null || { show_log "$tmp/nginx-error.log"; die "nginx did not start"; }
port_in_use "$nport" || die "nginx does not listen on $nport"

# --- wrk ---------------------------------------------------------------------------------
# wrk's latency to milliseconds: 850.00us, 1.23ms, 1.02s, 1.50m
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else printf "nan" }'
}
failures=()
declare -A rps=() p99=() non2xx=() sockerr=()
run_wrk() { # key url
    local key="$1" url="$2" out="$tmp/wrk-$1.txt"
    say "wrk -t$threads -c$connections -d${duration}s --latency $url"
    wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$url" >"$out" 2>&1 || { show_log "$out"; die "wrk failed on $url"; }
    rps[$key]="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
    p99[$key]="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
    non2xx[$key]="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")"
    non2xx[$key]="${non2xx[$key]:-0}"
    sockerr[$key]="$(sed -n 's/^ *Socket errors: *//p' "$out")"
    sockerr[$key]="${sockerr[$key]:-none}"
    [[ -n "${rps[$key]}" ]] || { show_log "$out"; die "cannot parse wrk's output for $url"; }
    [[ "${non2xx[$key]}" == 0 ]] || failures+=("$key: ${non2xx[$key]} non-2xx responses")
}
check_same() { # what url index
    local got
    got="$(curl -sf --max-time 30 "$2" | sha || true)"
    if [[ "$got" != "${file_sha[$3]}" ]]; then
        failures+=("$1: body of $2 differs from the saved file (sha256 $got, file ${file_sha[$3]})")
        say "MISMATCH $1: $2"
    fi
}
for i in "${measured[@]}"; do
    n="${names[$i]}"
    p="${paths[$i]}"
    check_same "$n miernik before wrk" "$base$p" "$i"
    check_same "$n nginx" "$nbase$p" "$i"
    run_wrk "$n.miernik" "$base$p"
    check_same "$n miernik after wrk" "$base$p" "$i"
    kill -0 "$server_pid" 2>/dev/null || { show_log "$tmp/server.log"; die "miernik died during the run"; }
    run_wrk "$n.nginx" "$nbase$p"
done

# --- report ------------------------------------------------------------------------------
echo
echo "wrk -t$threads -c$connections -d${duration}s --latency; miernik $bin; nginx $("$nginx_bin" -v 2>&1 | sed 's/.*: //'); $(nproc) cores shared by wrk and the servers"
printf '%-15s %-8s %-28s %12s %10s %9s %7s  %s\n' page server path req/s p99_ms bytes non2xx socket_errors
for i in "${measured[@]}"; do
    n="${names[$i]}"
    size="$(stat -c %s "$www${paths[$i]}")"
    printf '%-15s %-8s %-28s %12s %10s %9s %7s  %s\n' "$n" miernik "${paths[$i]}" "${rps[$n.miernik]}" "${p99[$n.miernik]}" "$size" "${non2xx[$n.miernik]}" "${sockerr[$n.miernik]}"
    printf '%-15s %-8s %-28s %12s %10s %9s %7s  %s\n' "$n" nginx "${paths[$i]}" "${rps[$n.nginx]}" "${p99[$n.nginx]}" "$size" "${non2xx[$n.nginx]}" "${sockerr[$n.nginx]}"
done
echo
min=""
for i in "${measured[@]}"; do
    n="${names[$i]}"
    r="$(awk -v a="${rps[$n.miernik]}" -v b="${rps[$n.nginx]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
    echo "ratio_vs_nginx: $r  $n ${paths[$i]}"
    if [[ -z "$min" ]] || awk -v a="$r" -v b="$min" 'BEGIN { exit !(a < b) }'; then min="$r"; fi
done
for s in "${skipped[@]}"; do echo "skipped: $s (not 200 from miernik)"; done
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "portal_vs_nginx_min_ratio: ${min:-nan}"
((${#skipped[@]} == 0 && ${#failures[@]} == 0)) || exit 1
