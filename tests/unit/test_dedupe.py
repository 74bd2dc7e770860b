"""Near-duplicate grouping gives exactly the groups of the plain definition.

The reference below is the rule written out naively (character 4-gram sets, Jaccard, each
text joins the first group whose leader is similar enough); the fast sparse version must agree
with it on real report sentences, on reposted variants of them and on degenerate inputs.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from kb.search.dedupe import group

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _reference(texts: list[str], threshold: float) -> list[list[int]]:
    def shingles(t: str) -> frozenset[str]:
        t = re.sub(r"[\s\W_]+", "", t)
        if len(t) <= 4:
            return frozenset([t]) if t else frozenset()
        return frozenset(t[i : i + 4] for i in range(len(t) - 3))

    sets = [shingles(t) for t in texts]
    groups: list[list[int]] = []
    for i, s in enumerate(sets):
        for g in groups:
            leader = sets[g[0]]
            if s and leader and len(s & leader) / len(s | leader) >= threshold:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def _sentences() -> list[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    return [s for s in re.split(r"(?<=[。；！？])", text) if len(s) > 10]


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.95])
def test_groups_equal_the_plain_definition_on_reposted_report_text(threshold):
    rng = random.Random(7)
    sentences = _sentences()
    texts = []
    for _ in range(150):
        s = "".join(rng.sample(sentences, rng.randint(1, 4)))
        texts.append(s)
        if rng.random() < 0.4:  # reposted by another bureau with a few words changed
            chars = list(s)
            for _ in range(rng.randint(0, 6)):
                chars[rng.randrange(len(chars))] = rng.choice("县市局区我本")
            texts.append("".join(chars))
    rng.shuffle(texts)
    groups = group(texts, threshold)
    assert groups == _reference(texts, threshold)
    assert sum(len(g) for g in groups) == len(texts)
    if threshold == 0.8:
        assert any(len(g) > 1 for g in groups)


def test_degenerate_texts():
    texts = ["", "首违不罚", "首违不罚", "首违", "首 违", "——", "𠀀𠀁𠀂𠀃𠀄", "𠀀𠀁𠀂𠀃𠀄", ""]
    assert group(texts, 0.8) == _reference(texts, 0.8)
    assert group(texts, 0.8) == [[0], [1, 2], [3, 4], [5], [6, 7], [8]]
    assert group([], 0.8) == []
    assert group(["只有一段"], 0.0) == [[0]]
