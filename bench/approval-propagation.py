#!/usr/bin/env python3
"""How fast an approved value reaches every node, over HTTP (issue 20, point 3).

NODES `miernik serve` nodes (default 2) on one fresh PostgreSQL database seeded with the demo.
Each of ROUNDS rounds (default 8) uses a campaign of its own for the demo gmina (one year each,
publication far ahead, so the approved values stay unpublished and go to the private view, not
the public snapshot): the data-entry user submits the questionnaire on node 1 with a new number
of transported pupils, then the verifier approves it on node 1. From the moment the approval is
sent, every node's unit card for that year is read every 5 ms as the data-entry user (who may
see unpublished values) until it shows the new share of transported pupils (indicator EDU_22)
marked unpublished. Printed per node: milliseconds from sending the approval to the end of the
first card request that shows the value, and to that request's start (the value became visible
between the two, or before: a card takes 10–50 ms to render here, so that is the granularity)
— min / median / max — and the time of the approval's own answer (node 1 applies the approved
values to its private view before it answers).

Usage: bench/approval-propagation.py
Env: MIERNIK_BIN (default target/release/miernik), NODES, ROUNDS,
     PG_URL (default postgres://postgres@127.0.0.1:5432/test), READY_TIMEOUT (seconds a node
     may take to start, default 300).
Exit status 1 when a node did not show a value within 10 s, 2 on a setup error.
"""

import html
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

def env_count(name, default, lo, hi):
    raw = os.environ.get(name, str(default))
    try:
        n = int(raw)
    except ValueError:
        n = None
    if n is None or not lo <= n <= hi:
        print(f"approval-propagation: ERROR: {name}={raw!r}: give a whole number from {lo} to {hi}", file=sys.stderr)
        sys.exit(2)
    return n


BIN = os.environ.get("MIERNIK_BIN", "target/release/miernik")
NODES = env_count("NODES", 2, 1, 8)
# One campaign a round, each for a year of the demo's data (2011–2024) the demo has none for.
ROUNDS = env_count("ROUNDS", 8, 1, 13)
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/test")
FORM = "oswiata"
ENTRY = ("demo-gmina", "demo-gmina-haslo")
VERIFIER = ("demo-weryfikator", "demo-weryfikator-haslo")


def say(msg):
    print(f"approval-propagation: {msg}", file=sys.stderr, flush=True)


def die(msg):
    say(f"ERROR: {msg}")
    sys.exit(2)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One signed-in person: a cookie jar of their own, no automatic redirects."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, url, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body)
        try:
            with self.opener.open(req, timeout=10) as r:
                return r.status, r.headers, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    def csrf(self, url):
        status, _, text = self.request(url)
        m = re.search(r'name="csrf" value="([^"]*)"', text)
        if status != 200 or not m:
            die(f"no form token on {url} ({status})")
        return html.unescape(m.group(1)), text

    def login(self, base, who):
        token, _ = self.csrf(f"{base}/logowanie")
        status, headers, text = self.request(f"{base}/logowanie", {"csrf": token, "login": who[0], "haslo": who[1]})
        if status not in (302, 303) or "/konto" not in (headers.get("Location") or ""):
            die(f"{who[0]} does not log in on {base}: {status} {text[:300]}")


def number_pl(x):
    return f"{x:.2f}".replace(".", ",") if isinstance(x, float) and not x.is_integer() else str(int(x))


def last_year_values(page):
    """The form's fields and last year's value of each, from the entry page."""
    fields = re.findall(r'name="w\.([a-z0-9_]+)"', page)
    last = {}
    for f in fields:
        m = re.search(rf'id="pole-{re.escape(f)}-kontekst"[^>]*>(.*?)</p>', page, re.S)
        if m:
            n = re.search(r"\):\s*([-\d\s\u00a0\u202f]+(?:,\d+)?)\s*·", html.unescape(re.sub(r"<[^>]+>", "", m.group(1))))
            if n:
                last[f] = float(re.sub(r"[\s\u00a0\u202f]", "", n.group(1)).replace(",", "."))
    return fields, last


def answers(fields, last, r):
    """The questionnaire's answers in round `r`: last year's values, and a share of pupils
    transported of its own (21.3 %, 25.6 %, …) to look for on the cards."""
    pupils = last.get("uczniowie_sp") or 1000.0
    transported = round(pupils * (0.213 + 0.043 * (r % 15)))
    run = min(last.get("uczniowie_sp_gmina") or round(pupils * 0.9), pupils)
    v = {
        "uczniowie_sp": pupils,
        "uczniowie_sp_gmina": run,
        "oddzialy_sp": min(last.get("oddzialy_sp") or max(1, round(pupils / 20)), pupils),
        "nauczyciele_sp_etaty": last.get("nauczyciele_sp_etaty") or max(1, round(pupils / 10)),
        "uczniowie_sp_orzeczenia": min(last.get("uczniowie_sp_orzeczenia") or round(run * 0.05), run),
        "dowozeni_sp": transported,
        "miejsca_przedszkola": last.get("miejsca_przedszkola") or round(pupils * 0.3),
        "wydatki_biezace_sp_gmina": last.get("wydatki_biezace_sp_gmina") or pupils * 12000,
    }
    out = {}
    for f in fields:
        x = v.get(f, last.get(f, 1))
        out[f"w.{f}"] = number_pl(float(x))
        out[f"k.{f}"] = "Pomiar propagacji (bench/approval-propagation.py)."
    return out, transported / pupils * 100


def edu22_cell(card):
    """The text of the EDU_22 row of a unit card (the value and its marks), or ''."""
    m = re.search(r'href="/wskaznik/EDU_22[^"]*".*?</tr>', card, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", m.group(0))) if m else ""


def main():
    if not os.access(BIN, os.X_OK):
        die(f"no miernik binary at {BIN}")
    tmp = tempfile.mkdtemp(prefix="miernik-approval-")
    db = f"miernik_approval_{os.getpid()}"
    base_url = PG_URL.rsplit("/", 1)[0]
    db_url = f"{base_url}/{db}"
    procs = []

    def psql(sql):
        r = subprocess.run(["psql", PG_URL, "-qAt", "-c", sql], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            die(f"psql on {PG_URL.split('@')[-1]}: {r.stderr.strip()[:300]}")

    def cleanup():
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["psql", PG_URL, "-qAt", "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def health(port):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                m = re.search(r"snapshot (\d+)", r.read().decode())
                return int(m.group(1)) if m else 0
        except (OSError, urllib.error.URLError):
            return 0

    def start(args, log, port):
        p = subprocess.Popen([BIN, *args], stdout=open(log, "w"), stderr=subprocess.STDOUT)
        procs.append(p)
        end = time.monotonic() + float(os.environ.get("READY_TIMEOUT", "300"))
        while time.monotonic() < end:
            if health(port) > 0:
                return p
            if p.poll() is not None:
                break
            time.sleep(0.1)
        die(f"{' '.join(args)} did not start: {open(log).read()[-500:]}")

    try:
        psql(f"CREATE DATABASE {db}")
        say("seeding the demo into PostgreSQL")
        port = free_port()
        seed = start(["demo", "--db", db_url, "--addr", f"127.0.0.1:{port}"], f"{tmp}/seed.log", port)
        seed.send_signal(signal.SIGTERM)
        seed.wait(timeout=60)
        ports = []
        for i in range(NODES):
            port = free_port()
            start(["serve", "--db", db_url, "--addr", f"127.0.0.1:{port}"], f"{tmp}/node{i + 1}.log", port)
            ports.append(port)
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        say(f"{NODES} nodes ready on {' '.join(map(str, ports))}")

        entry, verifier = Client(), Client()
        entry.login(bases[0], ENTRY)
        verifier.login(bases[0], VERIFIER)
        # The demo gmina of the data-entry user: the unit of its questionnaire link.
        _, _, page = entry.request(f"{bases[0]}/ankiety")
        m = re.search(r'href="/ankiety/\d+/jst/(\d{7})', page)
        if not m:
            die("the data-entry user's /ankiety lists no questionnaire")
        unit = m.group(1)
        campaigns = json.loads(subprocess.run([BIN, "--db", db_url, "campaign", "list", "--format", "json"], check=True, capture_output=True, text=True).stdout)
        taken = {int(c["year"]) for c in (campaigns if isinstance(campaigns, list) else campaigns.get("campaigns", []))}
        years = [y for y in range(2024, 2010, -1) if y not in taken][:ROUNDS]
        if len(years) < ROUNDS:
            die(f"only {len(years)} free years for campaigns")
        say(f"unit {unit}, campaign years {years[0]}..{years[-1]}")

        times = [[] for _ in bases]
        began = [[] for _ in bases]
        answer_ms = []
        failed = False
        for r, year in enumerate(years):
            out = subprocess.run(
                [BIN, "--db", db_url, "campaign", "add", "--form", FORM, "--name", f"Propagacja {year}", "--year", str(year),
                 "--deadline", "2099-06-30", "--publish-on", "2099-12-31", "--units", unit],
                capture_output=True, text=True)
            if out.returncode != 0:
                die(f"campaign add: {out.stderr.strip()[:300]}")
            _, _, page = entry.request(f"{bases[0]}/ankiety")
            ids = [int(x) for x in re.findall(rf'href="/ankiety/(\d+)/jst/{unit}', page)]
            cid = max(ids)
            entry_url = f"{bases[0]}/ankiety/{cid}/jst/{unit}"
            token, page = entry.csrf(entry_url)
            fields, last = last_year_values(page)
            form, percent = answers(fields, last, r)
            status, headers, text = entry.request(entry_url, {"csrf": token, "akcja": "wyslij", **form})
            if status != 303 or "komunikat=wyslano" not in (headers.get("Location") or ""):
                found = re.search(r'id="podsumowanie".*?</(?:div|section)>', text, re.S)
                why = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(0) if found else text)))
                die(f"round {r + 1}: not submitted ({status}): {why[:600]} — sent {form}")
            share = f"{percent:.1f}".replace(".", ",")
            cards = [f"{b}/jst/{unit}?rok={year}" for b in bases]
            for c in cards:
                cell = edu22_cell(entry.request(c)[2])
                if share in cell:
                    die(f"round {r + 1}: {c} shows {share} before the approval")
            seen = [None] * len(bases)

            def watch(i, t0):
                client = entry
                end = t0 + 10
                while time.monotonic() < end:
                    began = time.monotonic()
                    cell = edu22_cell(client.request(cards[i])[2])
                    if share in cell:
                        seen[i] = ((time.monotonic() - t0) * 1000, (began - t0) * 1000)
                        return
                    time.sleep(0.005)

            token, _ = verifier.csrf(entry_url)
            t0 = time.monotonic()  # the watchers read from here: before the approval is sent
            watchers = [threading.Thread(target=watch, args=(i, t0)) for i in range(len(bases))]
            for w in watchers:
                w.start()
            status, headers, text = verifier.request(f"{entry_url}/weryfikacja", {"csrf": token, "akcja": "zatwierdz"})
            answer_ms.append((time.monotonic() - t0) * 1000)
            if status != 303 or "komunikat=zatwierdzono" not in (headers.get("Location") or ""):
                die(f"round {r + 1}: not approved ({status}): {re.sub(r'<[^>]+>', ' ', text)[:400]}")
            for w in watchers:
                w.join()
            for i, s in enumerate(seen):
                if s is None:
                    say(f"round {r + 1}: node {i + 1} did not show {share} within 10 s")
                    failed = True
                else:
                    times[i].append(s[0])
                    began[i].append(s[1])
            time.sleep(0.3)

        def spread(xs):
            xs = sorted(xs)
            return f"min {xs[0]:.0f}, median {xs[(len(xs) - 1) // 2]:.0f}, max {xs[-1]:.0f}" if xs else "none"

        print(f"backend: postgres, nodes: {NODES}, rounds: {len(years)} (one questionnaire approved over HTTP on node 1 each round)")
        print(f"the approval's answer on node 1 (ms): {spread(answer_ms)}")
        for i, t in enumerate(times):
            print(f"node {i + 1}: ms from sending the approval to the card that shows the value (the end of its request): {spread(t)}")
            print(f"node {i + 1}: ... and to the start of that request: {spread(began[i])}")
        return 1 if failed else 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
