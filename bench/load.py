"""Load test: 16 clients × 300 requests over every endpoint while `kb index --force` runs twice.

    python -m bench.load                    # corpus/ + the dev corpus, 16 × 300 requests
    python -m bench.load --clients 4 --requests 50 --builds 1     # a quick look

A real `kb serve` (waitress) runs in its own process on a data dir of the seed reports and the
dev corpus (built once into ``bench/work/load/``, re-used after). Each client is a thread with
its own cookies that cycles through every kind of request a user makes — search in the three
modes, with filters and facets, the search page, report pages and their JSON, similar
passages, trends (page, JSON, CSV), comparison (page, JSON, Markdown), the CSV and Markdown
exports, and case collections: list, page, JSON, Markdown and Word exports, and writes
through the API (create, add items, edit a note with its version, reorder, rename, remove,
delete) and through a form (a note, with the CSRF token). Queries come from the relevance
set (``tests/eval/queries.jsonl``). Meanwhile `kb index --force` rebuilds both indexes twice
(once a sixth of the requests are done, again when half are), so requests run against a build
being swapped out under them.

An **error** is any answer other than the one the request expects (e.g. 200, 201 for a new
collection) or no answer at all. Results — errors, latency per endpoint, throughput, the
builds, load average sampled every 2 s — go to ``bench/results/load.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see bench/serve.py

import argparse  # noqa: E402
import http.cookiejar  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.generate import REPO  # noqa: E402
from bench.run import log, machine_info  # noqa: E402
from bench.serve import percentiles  # noqa: E402

WORK = REPO / "bench" / "work" / "load"
RESULTS = REPO / "bench" / "results"
TIMEOUT_S = 300  # a request on a loaded 2-core machine may wait; it must not fail


def shared_corpus() -> Path | None:
    """The dev corpus beside the checkout ($KB_SHARED, ../shared, /work/shared)."""
    for base in (os.environ.get("KB_SHARED"), REPO.parent / "shared", "/work/shared"):
        if base and (Path(base) / "dev-corpus" / "reports").is_dir():
            return Path(base) / "dev-corpus" / "reports"
    return None


def kb(*args: str, data: Path, quiet: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "kb.cli", "--data-dir", str(data), *args]
    return subprocess.run(cmd, capture_output=quiet, text=True, check=False)


def prepare(work: Path) -> Path:
    """A data dir with the seeds and the dev corpus ingested and indexed (kept between runs:
    embedding 500 passages takes minutes on two cores)."""
    data = work / "data"
    if (data / "index" / "CURRENT").is_file():
        return data
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    sources = [REPO / "corpus", shared_corpus()]
    for src in filter(None, sources):
        for f in src.iterdir():
            if f.is_file():
                shutil.copy2(f, corpus / f.name)
    log(f"ingest {len(list(corpus.iterdir()))} files and index them (first run only)")
    for step in (("ingest", "-q", str(corpus)), ("index", "-q")):
        run = kb(*step, data=data)
        if run.returncode:
            raise SystemExit(f"kb {step[0]} failed: {run.stderr}")
    return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- requests ----------------------------------------------------------------------------------


@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    during_build: int = 0
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One user: a cookie jar, a random stream of requests, and their own collections."""

    def __init__(self, n: int, base: str, pool: dict, stats: Stats, building: threading.Event):
        self.n, self.base, self.pool, self.stats, self.building = n, base, pool, stats, building
        self.rng = random.Random(1000 + n)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.collection: dict | None = None
        self.made = 0
        self.sent = 0

    def call(self, name: str, method: str, path: str, body=None, expect=(200,), form=None):
        headers = {}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        self.sent += 1
        during = self.building.is_set()
        t0 = time.perf_counter()
        status, payload = None, b""
        try:
            with self.opener.open(request, timeout=TIMEOUT_S) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        except Exception as e:  # noqa: BLE001 — any failure to answer is an error to count
            status, payload = None, repr(e).encode()
        ms = (time.perf_counter() - t0) * 1000
        with self.stats.lock:
            self.stats.done += 1
            self.stats.during_build += during or self.building.is_set()
            self.stats.latency[name].append(ms)
            if status not in expect:
                self.stats.errors[name] += 1
                if len(self.stats.examples) < 20:
                    text = payload[:300].decode("utf-8", "replace")
                    self.stats.examples.append(f"{method} {path} → {status}: {text}")
        return payload if status in expect else None

    # what a user does, as (weight, action) pairs

    def q(self) -> str:
        return self.rng.choice(self.pool["queries"])

    def search(self):
        mode = self.rng.choice(["hybrid", "lexical", "semantic"])
        self.call("api/search", "GET", "/api/search?" + urlencode({"q": self.q(), "mode": mode}))

    def search_filtered(self):
        params = {
            "q": self.q(),
            "year": self.rng.choice(["2022", "2023", "2021-2024"]),
            "facets": 1,
        }
        self.call("api/search+facets", "GET", "/api/search?" + urlencode(params))

    def search_page(self):
        page = self.rng.choice(["1", "2"])
        self.call("search page", "GET", "/?" + urlencode({"q": self.q(), "page": page}))

    def facets(self):
        self.call("api/facets", "GET", "/api/facets?" + urlencode({"q": self.q()}))

    def report(self):
        rid, pid = self.rng.choice(self.pool["passages"])
        self.call("report page", "GET", f"/report/{rid}?" + urlencode({"p": pid}))
        self.call("api/report", "GET", f"/api/report/{rid}")

    def similar(self):
        _rid, pid = self.rng.choice(self.pool["passages"])
        which = self.rng.choice(["similar page", "api/similar"])
        self.call(which, "GET", ("/similar/" if which == "similar page" else "/api/similar/") + pid)

    def tool(self, name: str, download: str):
        """A tool's page, its JSON twin or its download, for a query."""
        kind, path = self.rng.choice(
            [
                (f"{name} page", f"/{name}"),
                (f"api/{name}", f"/api/{name}"),
                (download, f"/{download}"),
            ]
        )
        self.call(kind, "GET", f"{path}?" + urlencode({"q": self.q()}))

    def trends(self):
        self.tool("trends", "trends.csv")

    def compare(self):
        self.tool("compare", "compare.md")

    def export(self):
        kind = self.rng.choice(["export.csv", "export.md"])
        self.call(kind, "GET", f"/{kind}?" + urlencode({"q": self.q()}))

    def collections_read(self):
        self.call("api/collections", "GET", "/api/collections")
        self.call("collections page", "GET", "/collections")
        col = self.collection
        if col:
            cid = col["id"]
            kind, path = self.rng.choice(
                [
                    ("collection page", f"/collections/{cid}"),
                    ("api/collection", f"/api/collections/{cid}"),
                    ("collection.md", f"/collections/{cid}.md"),
                    ("collection.docx", f"/collections/{cid}.docx"),
                ]
            )
            self.call(kind, "GET", path)

    def collections_write(self):
        """One step of a collection's life: made, filled, annotated, reordered, emptied."""
        col = self.collection
        if col is None or len(col["items"]) >= 6:
            if col is not None:
                self.call(
                    "DELETE collection", "DELETE", f"/api/collections/{col['id']}",
                    body={"version": col["version"]},
                )  # fmt: skip
            self.made += 1
            name = f"压测{self.n}-{self.made}"
            got = self.call("POST collection", "POST", "/api/collections", {"name": name}, (201,))
            self.collection = json.loads(got) if got else None
            return
        cid, items = col["id"], col["items"]
        step = self.rng.choice(["add", "add", "note", "form note", "order", "rename", "remove"])
        if step == "add" or not items:
            taken = {i["passage_id"] for i in items}
            pid = self.rng.choice([p for _r, p in self.pool["passages"] if p not in taken])
            body = {"passage_id": pid, "note": "压测"}
            if self.call("POST item", "POST", f"/api/collections/{cid}/items", body, (201,)):
                self.refresh()
        elif step == "note":
            item = self.rng.choice(items)
            body = {"note": f"说明{self.rng.randrange(1000)}", "version": item["version"]}
            self.call("PATCH note", "PATCH", f"/api/collections/{cid}/items/{item['id']}", body)
            self.refresh()
        elif step == "form note":
            page = self.call("collection page", "GET", f"/collections/{cid}")
            token = re.search(rb'name="csrf" value="([^"]+)"', page or b"")
            if token:
                item = self.rng.choice(items)
                form = {
                    "csrf": token.group(1).decode(),
                    "note": "表单说明",
                    "version": item["version"],
                }
                self.call(
                    "POST note form", "POST", f"/collections/{cid}/items/{item['id']}/note",
                    form=form,
                )  # fmt: skip
                self.refresh()
        elif step == "order":
            ids = [i["id"] for i in items]
            self.rng.shuffle(ids)
            body = {"items": ids, "version": col["version"]}
            self.call("POST order", "POST", f"/api/collections/{cid}/order", body)
            self.refresh()
        elif step == "rename":
            body = {"name": f"压测{self.n}-{self.made}-{self.rng.randrange(10**6)}", "version": col["version"]}  # fmt: skip
            self.call("PATCH rename", "PATCH", f"/api/collections/{cid}", body)
            self.refresh()
        else:
            item = self.rng.choice(items)
            self.call(
                "DELETE item", "DELETE", f"/api/collections/{cid}/items/{item['id']}",
                body={"version": item["version"]},
            )  # fmt: skip
            self.refresh()

    def refresh(self):
        got = self.call("api/collection", "GET", f"/api/collections/{self.collection['id']}")
        if got:
            self.collection = json.loads(got)

    ACTIONS = [
        (6, "search"), (2, "search_filtered"), (2, "search_page"), (1, "facets"),
        (2, "report"), (2, "similar"), (2, "trends"), (2, "compare"), (2, "export"),
        (2, "collections_read"), (4, "collections_write"),
    ]  # fmt: skip

    def run(self, requests: int) -> None:
        names = [name for weight, name in self.ACTIONS for _ in range(weight)]
        while self.sent < requests:
            getattr(self, self.rng.choice(names))()


# -- the run -----------------------------------------------------------------------------------


def sample_load(stop: threading.Event, out: list[tuple[float, float]], t0: float) -> None:
    while not stop.wait(2.0):
        out.append((round(time.perf_counter() - t0, 1), os.getloadavg()[0]))


def run(args: argparse.Namespace) -> dict:
    data = args.data_dir or prepare(WORK)
    # Collections from an earlier run would clash with this run's names (the clients' random
    # streams are seeded): every run starts without any.
    for old in data.glob("collections.sqlite*"):
        old.unlink()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The server's output goes to a file: a pipe nobody reads fills up, and waitress's next
    # log line (e.g. "task queue depth") would then block the whole server.
    WORK.mkdir(parents=True, exist_ok=True)
    server_log = (WORK / "serve.log").open("w")
    command = (
        [sys.executable, "-m", "bench.http_serve", str(data), str(args.stored_vectors), str(port)]
        if args.stored_vectors
        else [sys.executable, "-m", "kb.cli", "--data-dir", str(data), "serve", "--port", str(port)]
    )
    server = subprocess.Popen(
        command,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/api/session", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"kb serve stopped: see {server_log.name}") from None
                time.sleep(1)
        queries = [
            json.loads(line)["query"]
            for line in (REPO / "tests" / "eval" / "queries.jsonl").read_text("utf-8").splitlines()
            if line.strip()
        ]
        passages = []
        for q in queries[:40]:
            got = json.load(urllib.request.urlopen(base + "/api/search?" + urlencode({"q": q, "mode": "lexical", "limit": 5}), timeout=TIMEOUT_S))  # fmt: skip
            passages += [(h["report_id"], h["passage_id"]) for h in got["hits"]]
        pool = {"queries": queries, "passages": sorted(set(passages))}
        log(f"server up on {base}; {len(queries)} queries, {len(pool['passages'])} passages")

        stats, building, stop = Stats(), threading.Event(), threading.Event()
        total = args.clients * args.requests
        loads: list[tuple[float, float]] = []
        t0 = time.perf_counter()
        sampler = threading.Thread(target=sample_load, args=(stop, loads, t0), daemon=True)
        sampler.start()
        clients = [Client(n, base, pool, stats, building) for n in range(args.clients)]
        threads = [threading.Thread(target=c.run, args=(args.requests,)) for c in clients]
        for t in threads:
            t.start()

        builds = []
        for k, at in enumerate((1 / 6, 1 / 2)[: args.builds]):
            while stats.done < total * at and any(t.is_alive() for t in threads):
                time.sleep(0.5)
            log(f"kb index --force ({k + 1}/{args.builds}) after {stats.done} requests")
            started = stats.done
            building.set()
            b0 = time.perf_counter()
            built = kb("index", "--force", "-q", data=data)
            building.clear()
            builds.append(
                {
                    "returncode": built.returncode,
                    "seconds": round(time.perf_counter() - b0, 1),
                    "started_at_request": started,
                    "output": (built.stdout + built.stderr).strip().splitlines()[-2:],
                }
            )
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        stop.set()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()

    requests = sum(len(v) for v in stats.latency.values())
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": args.clients,
        "requests_per_client": args.requests,
        "requests": requests,
        "errors": sum(stats.errors.values()),
        "errors_by_endpoint": dict(stats.errors),
        "error_examples": stats.examples,
        "requests_during_builds": stats.during_build,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(requests / elapsed, 1),
        "builds": builds,
        "endpoints": {k: percentiles(v) for k, v in sorted(stats.latency.items())},
        "endpoint_requests_per_second": {
            k: round(len(v) / elapsed, 2) for k, v in sorted(stats.latency.items())
        },
        "load_average": {
            "samples": len(loads),
            "mean": round(sum(v for _, v in loads) / max(1, len(loads)), 2),
            "max": round(max((v for _, v in loads), default=0.0), 2),
            "every_2s": loads,
        },
        "machine": machine_info(),
        "corpus": {
            "data_dir": str(data.relative_to(REPO) if data.is_relative_to(REPO) else data),
            "passages": _passages(data),
        },
        "server": "bench.http_serve (stored vectors)" if args.stored_vectors else "kb serve",
    }
    return result


def _passages(data: Path) -> int | None:
    from indexer.builds import current_build, read_manifest

    build = current_build(data)
    return read_manifest(build)["passage_count"] if build else None


def table(result: dict) -> str:
    """The per-endpoint Markdown table of a run (bench/results/README.md quotes it)."""
    rows = [
        "| endpoint | requests | requests/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, lat in result["endpoints"].items():
        rate = result.get("endpoint_requests_per_second", {}).get(name, "–")
        rows.append(
            f"| {name} | {lat['n']} | {rate} | {lat['p50']} | {lat['p95']} | {lat['p99']} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--requests", type=int, default=300, help="requests per client")
    p.add_argument("--builds", type=int, default=2, choices=(0, 1, 2))
    p.add_argument(
        "--data-dir", type=Path, help="an indexed data dir (default: built in bench/work/load)"
    )
    p.add_argument("--out", type=Path, default=RESULTS / "load.json")
    p.add_argument(
        "--stored-vectors",
        type=Path,
        metavar="POOL_CACHE",
        help="serve a benchmark build (bench/work/nSIZE/kbdata) with its stored-vector "
        "embedder, whose pool vectors are cached in POOL_CACHE (bench/work/pool-cache)",
    )
    args = p.parse_args(argv)
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log(
        f"{result['requests']} requests, {result['errors']} errors, "
        f"{result['requests_during_builds']} during {len(result['builds'])} builds, "
        f"{result['requests_per_second']} req/s, load average mean {result['load_average']['mean']}"
        f" (max {result['load_average']['max']}) → {args.out}"
    )
    return 0 if result["errors"] == 0 and all(b["returncode"] == 0 for b in result["builds"]) else 1


if __name__ == "__main__":
    sys.exit(main())
