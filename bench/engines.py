"""The engines side by side: embedded (size-N.json) and Milvus (milvus-size-N.json) results.

Both come from ``bench.run`` on the same generated corpus, the same stored vectors and the
same queries (``--engine milvus`` changes only the engine), so their rows compare directly
(``embedded-size-N.json``, an embedded run made beside the Milvus one, is preferred to the
last ``make bench`` record ``size-N.json``);
the load average at the end of each run is shown with it (2 shared cores: it moves the
latencies). Written between its own markers in results/README.md, beside bench.report's
tables; ``python -m bench.engines`` regenerates it from the JSON files.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import MODES, RESULTS, _size_label

START, END = "<!-- bench:engines -->", "<!-- /bench:engines -->"


def _row(r: dict, engine: str) -> str:
    lat = r["serving"]["latency_ms"]
    load = r["machine"].get("load_average") or [0, 0, 0]
    cells = [
        _size_label(r["size"]),
        engine,
        f"{r['ingest']['passages']:,}",
        str(r["build"]["lexical_passages_per_s"]),
        str(r["build"]["seconds"]),
        *(f"{lat[m]['p50']} / {lat[m]['p95']}" for m in MODES),
        f"{load[0]:.1f}",
        r.get("measured", "")[:10],
    ]
    return "| " + " | ".join(cells) + " |"


def table(results: Path = RESULTS) -> str:
    rows = []
    for p in sorted(results.glob("milvus-size-*.json")):
        milvus = json.loads(p.read_text())
        # the embedded engine measured in the same session when there is such a run
        embedded = results / p.name.replace("milvus-", "embedded-")
        if not embedded.is_file():
            embedded = results / p.name.removeprefix("milvus-")
        if embedded.is_file():
            rows.append(_row(json.loads(embedded.read_text()), "embedded (Whoosh + FAISS)"))
        rows.append(_row(milvus, "milvus (Milvus Lite 2.5.1)"))
    head = [
        "| size | engine | passages | lexical build passages/s | build s "
        + "".join(f"| {m} p50 / p95 ms " for m in MODES)
        + "| load avg | measured |",
        "|---" * (8 + len(MODES) - 1) + "|",
    ]
    return "\n".join(head + rows) + "\n"


def write(results: Path = RESULTS) -> Path:
    path = results / "README.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmark results\n"
    body = f"{START}\n{table(results)}{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + body + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## Engines side by side\n\n{body}\n"
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write())
