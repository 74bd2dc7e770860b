"""Does the current build agree with the corpus it was built from?

Checks the current build against what the corpus owner says the corpus is (its fingerprint
and passage ids): same corpus fingerprint, same passage count in every part, the same passage
ids in the corpus, the row table and the lexical index, vectors of the recorded dimension.
Also reports builds left unfinished by an interrupted build — they never affect the current
build, which is what the check then confirms.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from indexer.builds import builds_dir
from indexer.bundle import IndexBundle, IndexMissing, open_bundle
from indexer.settings import IndexSettings


@dataclass
class Check:
    ok: bool
    message: str


def check_build(
    settings: IndexSettings, fingerprint: str, passage_ids: Collection[str]
) -> list[Check]:
    """Checks of the current build against a corpus with this fingerprint and these ids."""
    out: list[Check] = []
    for name in sorted(p.name for p in builds_dir(settings.data_dir).glob("*.tmp")):
        out.append(
            Check(
                True,
                f"发现未完成的构建 {name}（构建曾被中断）；当前索引不受影响，下次构建时会清理。",
            )
        )
    try:
        bundle = open_bundle(settings)
    except IndexMissing as e:
        return out + [Check(False, str(e))]
    except Exception as e:  # a damaged file of the current build
        return out + [
            Check(
                False,
                f"当前索引无法打开（{type(e).__name__}: {e}）：请运行 `kb index --force` 重建。",
            )
        ]
    try:
        return out + _compare(bundle, fingerprint, set(passage_ids))
    finally:
        bundle.close()


def _compare(bundle: IndexBundle, fp: str, corpus_ids: set[str]) -> list[Check]:
    out: list[Check] = []
    m = bundle.manifest
    engine = m.get("engine") or {}
    if engine.get("name") == "milvus":  # reaching it at all is the first check
        out.append(Check(True, f"检索引擎 milvus：集合 {engine['collection']} 可用"))
    ok = m["corpus_fingerprint"] == fp
    out.append(
        Check(
            ok,
            f"语料指纹一致（{fp}）"
            if ok
            else f"索引落后于语料库（索引指纹 {m['corpus_fingerprint']}，语料库 {fp}）：请运行 `kb index`。",
        )
    )
    counts = {
        "清单记录": m["passage_count"],
        "语料库": len(corpus_ids),
        "行表": len(bundle.rows),
        "关键词索引": bundle.lexical.doc_count,
        "向量索引": bundle.vectors.ntotal,
    }
    # What to do about a disagreement: a stale index is updated; a damaged one rebuilt.
    fix = "：请运行 `kb index`。" if not ok else "：索引已损坏，请运行 `kb index --force` 重建。"
    same = len(set(counts.values())) == 1
    out.append(
        Check(
            same,
            "段落数：" + "，".join(f"{k} {v}" for k, v in counts.items()) + ("" if same else fix),
        )
    )
    row_ids = set(bundle.rows.pids)
    lex_ids = set(bundle.lexical.pids())
    for name, ids in (("行表", row_ids), ("关键词索引", lex_ids)):
        missing, extra = len(corpus_ids - ids), len(ids - corpus_ids)
        out.append(
            Check(
                not missing and not extra,
                f"段落编号（语料库 vs {name}）：一致"
                if not missing and not extra
                else f"段落编号（语料库 vs {name}）：缺少 {missing} 个，多出 {extra} 个{fix}",
            )
        )
    dim = m["embedder"]["dim"]
    out.append(Check(bundle.vectors.dim == dim, f"向量维度：索引 {bundle.vectors.dim}，清单 {dim}"))
    if bundle.embedded is not None:
        have, total = int(bundle.embedded.sum()), len(bundle.embedded)
        out.append(
            Check(
                len(bundle.embedded) == len(bundle.rows),
                f"语义索引覆盖 {have * 100 // max(total, 1)}%（{have}/{total} 个段落有向量）："
                "其余段落只按关键词检索；运行 `kb index` 继续计算向量。",
            )
        )
    return out
