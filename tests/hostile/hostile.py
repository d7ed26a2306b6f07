#!/usr/bin/env python3
"""Replays the hostile requests of issue 15 against a running Miernik portal and checks
that the service stays up: while each attack runs, /health is asked every 20 ms from this
process (the attackers run in other processes) and must answer 200 with p99 < 100 ms; no
response of any kind may be >= 500.

Usage: hostile.py http://127.0.0.1:PORT   (stdlib only; .ci/hostile starts the server)

Attacks (each ~8 s):
  groups-flood   8 clients POST /grupy with a valid CSRF pair and `jednostki=` of 150,000
                 names (1.65 MB): each must get a 4xx, p99 < 100 ms.
  groups-many    8 clients POST /grupy with 5,000 names in a body under the size limit:
                 4xx (too many units), p99 < 100 ms.
  deep-changes   30 clients ask /api/v1/changes for a deep offset (refused: 400), forged deep
                 cursors and first pages;
                 meanwhile 2 clients list units (/api/v1/units?q=...): no 5xx anywhere,
                 the unit lists answer 200.
  slowloris      1,000 connections that send a request line and then one header byte every
                 2 s, reopened when the server closes them; 2 clients load pages meanwhile
                 (16 s: the server must close some of them, its header timeout is 10 s).
  idle           1,000 connections that send nothing, likewise.
Prints one line per attack and exits 1 on any failed check.
"""

import http.client
import multiprocessing as mp
import random
import socket
import statistics
import sys
import time
import urllib.parse

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
U = urllib.parse.urlsplit(BASE)
HOST, PORT = U.hostname, U.port or 80
DURATION = float(__import__("os").environ.get("HOSTILE_DURATION", "8"))


def conn(timeout=30):
    return http.client.HTTPConnection(HOST, PORT, timeout=timeout)


def request(c, method, path, body=None, headers=None):
    """One request on a keep-alive connection: (status, body bytes, seconds)."""
    t = time.perf_counter()
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    return r.status, data, time.perf_counter() - t, r


def csrf():
    c = conn()
    status, _, _, r = request(c, "GET", "/grupy")
    cookie = r.getheader("Set-Cookie") or ""
    # miernik_csrf=TOKEN; Path=/; ...
    for part in cookie.split(","):
        kv = part.strip().split(";")[0]
        if "=" in kv and "csrf" in kv.split("=")[0]:
            name, value = kv.split("=", 1)
            return name, value
    raise SystemExit(f"hostile: no CSRF cookie from /grupy (status {status}, Set-Cookie {cookie!r})")


# --- attackers (child processes): return (statuses, latencies) ---------------------------


def groups_post(args):
    names, stop_at, cookie = args
    name, token = cookie
    body = urllib.parse.urlencode({"csrf": token, "akcja": "zapisz", "nazwa": "x", "jednostki": names}, safe=",").encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"{name}={token}"}
    statuses, lat = [], []
    while time.time() < stop_at:
        c = conn()
        try:
            s, _, dt, _ = request(c, "POST", "/grupy", body, headers)
            statuses.append(s)
            lat.append(dt)
        except (OSError, http.client.HTTPException) as e:
            # The server may close the connection after answering 413 before reading the
            # whole body: the answer must still have come.
            statuses.append(f"conn:{type(e).__name__}")
        finally:
            c.close()
    return statuses, lat


def deep_changes(args):
    i, stop_at = args
    paths = [
        "/api/v1/changes?since=2000-01-01&offset=850000",
        "/api/v1/changes?since=2000-01-01&limit=1000&cursor=1.999999.999999.2099",  # deep, well-formed
        "/api/v1/changes?since=2000-01-01&limit=1000&cursor=1.20.300.2015",
        "/api/v1/changes?since=2000-01-01&limit=1000",
    ]
    return pages(([paths[i % len(paths)]], stop_at))


def pages(args):
    """GETs of paths picked at random, on one keep-alive connection, until `stop_at`."""
    paths, stop_at = args
    statuses, lat = [], []
    c = conn(60)
    while time.time() < stop_at:
        try:
            s, _, dt, _ = request(c, "GET", random.choice(paths))
            statuses.append(s)
            lat.append(dt)
        except (OSError, http.client.HTTPException) as e:
            statuses.append(f"conn:{type(e).__name__}")
            c.close()
            c = conn(60)
    return statuses, lat


def slow_sockets(args):
    count, stop_at, send_bytes = args
    socks = []

    def opened():
        s = socket.create_connection((HOST, PORT), timeout=5)
        s.setblocking(False)
        if send_bytes:
            s.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        return s

    for _ in range(count):
        try:
            socks.append(opened())
        except OSError:
            break
    reopened = 0
    while time.time() < stop_at:
        time.sleep(2)
        for k, s in enumerate(socks):
            try:
                if send_bytes:
                    s.send(b"X")
                else:
                    if s.recv(1) == b"":
                        raise OSError("closed")
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                try:
                    socks[k] = opened()
                    reopened += 1
                except OSError:
                    pass
    for s in socks:
        s.close()
    return [f"reopened:{reopened}"], []


# --- the watcher -----------------------------------------------------------------------


def watch_health(stop_at):
    lat, bad = [], []
    c = conn(5)
    while time.time() < stop_at:
        try:
            s, _, dt, _ = request(c, "GET", "/health")
            lat.append(dt)
            if s != 200:
                bad.append(s)
        except (OSError, http.client.HTTPException) as e:
            bad.append(f"conn:{type(e).__name__}")
            lat.append(5.0)
            c.close()
            c = conn(5)
        time.sleep(0.02)
    return lat, bad


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def run(name, jobs, check, duration=DURATION):
    """Starts the attackers, watches /health, checks the outcome."""
    stop_at = time.time() + duration
    with mp.Pool(len(jobs)) as pool:
        results = [pool.apply_async(fn, (arg(stop_at),)) for fn, arg in jobs]
        time.sleep(0.5)
        hlat, hbad = watch_health(stop_at)
        outs = [r.get(timeout=120) for r in results]
    statuses = [s for st, _ in outs for s in st]
    lat = [x for _, l in outs for x in l]
    p99 = pct(hlat, 0.99) * 1000
    fivexx = [s for s in statuses if isinstance(s, int) and s >= 500]
    problems = []
    if hbad:
        problems.append(f"/health answered {sorted(set(map(str, hbad)))}")
    if p99 >= 100:
        problems.append(f"/health p99 {p99:.1f} ms >= 100 ms")
    if fivexx:
        problems.append(f"{len(fivexx)} responses >= 500: {sorted(set(fivexx))}")
    problems += check(statuses, lat)
    counts = {}
    for s in statuses:
        key = "reopened" if str(s).startswith("reopened:") else str(s)
        counts[key] = counts.get(key, 0) + (int(str(s).split(":")[1]) if key == "reopened" else 1)
    print(
        f"hostile: {name:13} health n={len(hlat)} p50={pct(hlat, 0.5) * 1000:.1f} ms p99={p99:.1f} ms max={max(hlat) * 1000:.1f} ms; "
        f"attack responses {dict(sorted(counts.items()))}; attack p99 {pct(lat, 0.99) * 1000:.1f} ms"
        + ("" if not problems else "  FAILED: " + "; ".join(problems)),
        flush=True,
    )
    return not problems


def all_4xx_fast(statuses, lat):
    out = []
    ints = [s for s in statuses if isinstance(s, int)]
    if not ints:
        out.append("no answer at all")
    if any(not (400 <= s < 500) for s in ints):
        out.append(f"not all 4xx: {sorted(set(ints))}")
    if lat and pct(lat, 0.99) >= 0.1:
        out.append(f"attack p99 {pct(lat, 0.99) * 1000:.0f} ms >= 100 ms")
    return out


def main():
    ok = True
    cookie = csrf()
    names_flood = ",".join(f"Gmina{i:05d}" for i in range(150_000))  # 1.65 MB
    names_many = ",".join(f"G{i}" for i in range(5_000))
    assert len(urllib.parse.urlencode({"j": names_many})) < 60_000
    ok &= run("groups-flood", [(groups_post, lambda t: (names_flood, t, cookie))] * 8, all_4xx_fast)
    ok &= run("groups-many", [(groups_post, lambda t: (names_many, t, cookie))] * 8, all_4xx_fast)

    def units_ok(statuses, lat):
        bad = [s for s in statuses if not (isinstance(s, int) and s < 500)]
        return [f"failed answers: {sorted(set(map(str, bad)))}"] if bad else []

    jobs = [(deep_changes, (lambda i: lambda t: (i, t))(i)) for i in range(30)]
    jobs += [(pages, lambda t: (["/api/v1/units?q=gmina", "/api/v1/units?q=a&limit=50", "/api/v1/units/02"], t))] * 2
    ok &= run("deep-changes", jobs, units_ok)

    def pages_ok(statuses, lat):
        answered = [s for s in statuses if isinstance(s, int)]
        bad = [s for s in statuses if not (isinstance(s, int) and s == 200) and not str(s).startswith("reopened:")]
        out = [f"page loads failed: {sorted(set(map(str, bad)))}"] if bad else []
        if not answered:
            out.append("no page answered")
        reopened = sum(int(str(s).split(":")[1]) for s in statuses if str(s).startswith("reopened:"))
        if reopened == 0:
            out.append("the server closed none of the stalled connections (no header timeout)")
        return out

    normal = ["/", "/api/v1/indicators", "/analiza", "/obszar"]
    ok &= run("slowloris", [(slow_sockets, lambda t: (250, t, True))] * 4 + [(pages, lambda t: (normal, t))] * 2, pages_ok, 16.0)
    ok &= run("idle", [(slow_sockets, lambda t: (250, t, False))] * 4 + [(pages, lambda t: (normal, t))] * 2, pages_ok, 16.0)
    if not ok:
        print("hostile: FAILED", flush=True)
        sys.exit(1)
    print("hostile: all attacks left the service up", flush=True)


if __name__ == "__main__":
    main()
