"""Turn bench/results/*.json into the Markdown tables of bench/results/README.md.

The JSON files are the record; this only formats them, so the table can be regenerated
(``python -m bench.report``) after editing the commentary without re-running anything.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TABLE_START = "<!-- bench:tables -->"
TABLE_END = "<!-- /bench:tables -->"
MODES = ("hybrid", "lexical", "semantic")


def _mib(n: float | None) -> str:
    return "–" if n is None else f"{n / 2**20:,.0f} MiB"


def _built(entry: dict) -> str:
    """Build time of an ANN index, or a note that the served index itself was measured."""
    return "served index" if entry.get("build_seconds") is None else str(entry["build_seconds"])


def _size_label(n: int) -> str:
    exp = len(str(n)) - 1
    return f"10^{exp}" if n == 10**exp else f"{n:,}"


def load(results: Path) -> tuple[list[dict], dict | None]:
    sizes = sorted(
        (json.loads(p.read_text()) for p in results.glob("size-*.json")), key=lambda r: r["size"]
    )
    emb = results / "embedding.json"
    ann_only = sorted(
        (json.loads(p.read_text()) for p in results.glob("ann-*.json")), key=lambda r: r["size"]
    )
    for r in ann_only:  # vector-only runs (bench.ann_scale) join the ANN table
        r["vector_only"] = True
    return sizes + ann_only, (json.loads(emb.read_text()) if emb.is_file() else None)


def tables(sizes: list[dict], emb: dict | None) -> str:
    out: list[str] = []
    full = [r for r in sizes if not r.get("vector_only")]
    if sizes:
        m = (full or sizes)[-1]["machine"]
        out += [
            f"Machine: {m['cpu'] or 'unknown CPU'}, {m['cores']} cores, "
            f"{m['memory_bytes'] / 2**30:.0f} GiB; Python {m['python']}; "
            + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
            + f"; commit {m['commit']}.",
            "",
            "| size | passages | reports | ingest passages/s | lexical index passages/s "
            "| vector index | build s | serving peak RSS | index on disk | bytes/passage |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in full:
            s, b, d = r["serving"], r["build"], r["disk_bytes"]
            out.append(
                f"| {_size_label(r['size'])} | {r['ingest']['passages']:,} | {r['ingest']['reports']:,} "
                f"| {r['ingest']['passages_per_s']:,.0f} | {b['lexical_passages_per_s']:,.0f} "
                f"| {s['vector_index']} | {b['seconds']:,.0f} | {_mib(s['memory']['peak_rss'])} "
                f"| {_mib(d['index_total'])} | {d['index_bytes_per_passage']:,.0f} |"
            )
        peers = [r for r in full if "peer_tantivy" in r["build"]]
        if peers:
            out += [
                "",
                "Lexical indexing against tantivy over the same tokens, measured in the same run "
                "(passages/s; tantivy without segmentation in brackets), and the time from the "
                "start of `kb index` to the first searchable build:",
                "",
                "| size | kb lexical | tantivy + kb segmentation | kb / tantivy | first searchable s "
                "| whole build s | load |",
                "|---|---|---|---|---|---|---|",
            ]
            for r in peers:
                b, t = r["build"], r["build"]["peer_tantivy"]
                rate = (
                    f"{t['passages_per_s']:,.0f} ({t['passages_per_s_without_segmentation']:,.0f})"
                    if "passages_per_s" in t
                    else t.get("error", "–")
                )
                load = b.get("load_average", r["machine"]["load_average"])[0]
                out.append(
                    f"| {_size_label(r['size'])} | {b['lexical_passages_per_s']:,.0f} | {rate} "
                    f"| {b.get('kb_to_tantivy_ratio', '–')} | {b.get('first_searchable_seconds', '–')} "
                    f"| {b['seconds']:,.0f} | {load:.1f} |"
                )
        out += [
            "",
            "End-to-end latency through `Searcher.search` (200 queries per mode, ms; load average "
            "at the end of each run in the last column):",
            "",
            "| size | mode | p50 | p95 | p99 | max | jargon p95 | phrase p95 | question p95 "
            "| filtered p95 | load |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in full:
            s = r["serving"]
            for mode in MODES:
                lat = s["latency_ms"].get(mode)
                if not lat:
                    continue
                cats = s["latency_by_category_ms"][mode]
                cat = [
                    cats.get(c, {}).get("p95", "–")
                    for c in ("jargon", "phrase", "question", "filtered")
                ]
                load = r["machine"]["load_average"][0]
                out.append(
                    f"| {_size_label(r['size'])} | {mode} | {lat['p50']} | {lat['p95']} | {lat['p99']} "
                    f"| {lat['max']} | " + " | ".join(map(str, cat)) + f" | {load:.1f} |"
                )
        out += [
            "",
            "Where hybrid time goes (each part timed alone, ms p50 / p95):",
            "",
            "| size | query embedding | lexical retrieval | vector retrieval |",
            "|---|---|---|---|",
        ]
        for r in full:
            p = r["serving"]["hybrid_parts_ms"]
            out.append(
                f"| {_size_label(r['size'])} | "
                + " | ".join(
                    f"{p[k]['p50']} / {p[k]['p95']}" for k in ("embed_query", "lexical", "vector")
                )
                + " |"
            )
        out += [
            "",
            "Approximate vector search against exact inner product (recall@10 over the query set):",
            "",
            "| size | index | setting | recall@10 | tie-aware recall@10 | ms/query "
            "| bytes/passage | build s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in sizes:
            ann = r["ann"]
            label = _size_label(r["size"]) + (" (vectors only)" if r.get("vector_only") else "")
            out.append(
                f"| {label} | exact (flat) | – | 1.0 | 1.0 | {ann['exact']['ms_per_query']} "
                f"| {ann['exact']['bytes_per_passage']:,.0f} | – |"
            )
            for kind, entry in ann.items():
                if kind in ("passages", "queries", "exact") or "error" in entry:
                    continue
                for setting, v in entry.items():
                    if isinstance(v, dict):
                        out.append(
                            f"| {label} | {kind} | {setting} | {v['recall_at_10']} "
                            f"| {v.get('score_recall_at_10', '–')} "
                            f"| {v['ms_per_query']} | {entry['bytes_per_passage']:,.0f} "
                            f"| {_built(entry)} |"
                        )
    if emb:
        out += [
            "",
            f"Real embedder ({emb['embedder']}), {emb['passages']} real passages "
            f"(mean {emb['mean_chars']} characters), batch {emb['batch_size']}, bare and pipeline "
            "interleaved in one run:",
            "",
            "| bare passages/s | pipeline passages/s | pipeline overhead | hours for 10^6 passages |",
            "|---|---|---|---|",
            f"| {emb['bare_passages_per_s']} | {emb['pipeline_passages_per_s']} "
            f"| {emb['pipeline_overhead'] * 100:+.1f}% | {emb['hours_for_1e6_passages']} |",
        ]
    return "\n".join(out) + "\n"


def write_report(results: Path = RESULTS) -> Path:
    """Replace the generated tables inside results/README.md (commentary around them is kept)."""
    sizes, emb = load(results)
    path = results / "README.md"
    body = f"{TABLE_START}\n{tables(sizes, emb)}{TABLE_END}"
    if path.is_file() and TABLE_START in (text := path.read_text(encoding="utf-8")):
        head, rest = text.split(TABLE_START, 1)
        tail = rest.split(TABLE_END, 1)[1] if TABLE_END in rest else ""
        path.write_text(head + body + tail, encoding="utf-8")
    else:
        path.write_text(f"# Benchmark results\n\n{body}\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_report())
