"""kb's side of indexing: the corpus store adapted to the indexer's records, builds and checks.

The indexer (``indexer/``) knows nothing of reports, stores or kb's configuration; this module
is where the two meet: the store's passages become :class:`~indexer.records.IndexRecord`
objects (their filter columns chosen by the field registry), and `kb index` / `kb check` hand
the indexer what it needs.
"""

from __future__ import annotations

from indexer.build import BuildResult, build_indexes, coverage_percent
from indexer.check import Check, check_build
from indexer.embedders import Embedder
from indexer.records import IndexRecord
from kb.core import fields
from kb.core.config import Config
from kb.core.progress import StageBars
from kb.store.corpus import CorpusStore

STAGES = {
    "embed": ("计算向量", "段"),
    "lexical": ("构建关键词索引", "段"),
    "lexical_update": ("更新关键词索引", "段"),
    "milvus": ("写入 Milvus 集合", "段"),
}


def index_records(store: CorpusStore) -> list[IndexRecord]:
    """Every passage of the store as an index record, in a stable order (source, position)."""
    columns = fields.columns()
    out = []
    for ip in store.iter_indexed_passages():
        m, p = ip.report, ip.passage
        out.append(
            IndexRecord(
                pid=p.id,
                report_id=p.report_id,
                text=p.text,
                heading_path=p.heading_path,
                meta=" ".join(filter(None, [m.org, m.title, m.province, m.city, m.county])),
                year=m.year,
                columns={
                    f.column: getattr(p if f.of == "passage" else m, f.column) for f in columns
                },
            )
        )
    return out


def build(
    cfg: Config,
    store: CorpusStore,
    embedder: Embedder,
    show_progress: bool = True,
    force: bool = False,
    lexical_procs: int | None = None,
    lexical_only: bool = False,
) -> BuildResult:
    """`kb index`: bring the indexes in line with the corpus store.

    The index is searchable as soon as its lexical part is built: each build made current
    while vectors are still being computed is announced with its semantic coverage.
    """
    bars = StageBars(STAGES, enable=show_progress)

    def published(build_id: str, embedded: int, total: int) -> None:
        if embedded < total:
            bars.note(
                f"已可检索：索引版本 {build_id}，语义索引覆盖 {coverage_percent(embedded, total)}"
                f"（{embedded}/{total} 个段落有向量）。"
            )

    try:
        return build_indexes(
            cfg.index_settings(),
            index_records(store),
            store.fingerprint(),
            embedder,
            progress=bars,
            force=force,
            lexical_procs=lexical_procs,
            report_count=len(store.content_hashes()),
            lexical_only=lexical_only,
            on_publish=published,
        )
    finally:
        bars.close()


def check(cfg: Config) -> list[Check]:
    """`kb check`: the corpus store, the lexical index and the vector index agree."""
    if not cfg.store_path.is_file():
        return [Check(False, f"语料库 {cfg.store_path} 不存在：请先运行 `kb ingest corpus/`。")]
    store = CorpusStore(cfg.store_path, readonly=True)
    try:
        fingerprint, ids = store.fingerprint(), store.passage_ids()
    finally:
        store.close()
    return check_build(cfg.index_settings(), fingerprint, ids)
