"""Caps on what one JSON answer may carry, so no response is unbounded.

A passage is normally a few hundred characters and a report a few tens of thousands, but the
store holds whatever a file contained: a hostile or broken file once made a single search hit
12 MB and /api/report 24 MB. Ingest limits passage length and text size; these caps are the
second line, on the way out, and every capped answer says so (``truncated: true``) so a client
never mistakes a cut text for the whole.
"""

from __future__ import annotations

from typing import Any

# Characters of one passage's text in a search hit (and in /api/report's passage list).
HIT_TEXT_LIMIT = 5_000
# Characters of a report's text in /api/report, and how many passages and sections it lists.
REPORT_TEXT_LIMIT = 1_000_000
REPORT_ITEMS_LIMIT = 10_000


def capped_hit(hit: dict[str, Any]) -> dict[str, Any]:
    """A hit with ``truncated`` set; text over HIT_TEXT_LIMIT is cut, highlights clipped to it."""
    text = hit.get("text") or ""
    hit["truncated"] = len(text) > HIT_TEXT_LIMIT
    if hit["truncated"]:
        hit["text_chars"] = len(text)
        hit["text"] = text[:HIT_TEXT_LIMIT]
        if "highlights" in hit:
            hit["highlights"] = [
                [s, min(e, HIT_TEXT_LIMIT)] for s, e in hit["highlights"] if s < HIT_TEXT_LIMIT
            ]
    return hit


def capped_hits(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [capped_hit(h) for h in hits]


def capped_report(body: dict[str, Any]) -> dict[str, Any]:
    """/api/report's body within REPORT_TEXT_LIMIT characters and REPORT_ITEMS_LIMIT items.

    Sections and passages that start beyond the cut are left out (their offsets would point
    past the text given); each passage's own text is capped like a hit's.
    """
    text = body["text"]
    cut = len(text) > REPORT_TEXT_LIMIT
    sections = [s for s in body["sections"] if s["start"] < REPORT_TEXT_LIMIT]
    passages = [p for p in body["passages"] if p["start"] < REPORT_TEXT_LIMIT]
    truncated = (
        cut
        or len(sections) > REPORT_ITEMS_LIMIT
        or len(passages) > REPORT_ITEMS_LIMIT
        or any(len(p["text"]) > HIT_TEXT_LIMIT for p in passages)
    )
    body["truncated"] = truncated
    if not truncated:
        return body
    body["text_chars"] = len(text)
    body["sections_total"] = len(body["sections"])
    body["passages_total"] = len(body["passages"])
    body["text"] = text[:REPORT_TEXT_LIMIT]
    body["sections"] = sections[:REPORT_ITEMS_LIMIT]
    body["passages"] = [capped_hit(p) for p in passages[:REPORT_ITEMS_LIMIT]]
    return body


# Request body of the draft check (/check, /api/check): an uploaded .docx with its images.
# Every other route keeps ``[server] max_body_kb``.
CHECK_BODY_BYTES = 5 * 1024 * 1024


def server_body_limit(max_body_kb: int) -> int:
    """What waitress may buffer: the app's limit, or twice the draft check's if that is
    larger, so that an upload a little over 5 MB still reaches the app and is refused with
    its Chinese message (waitress's own 413 is a bare English line). The app refuses more
    than ``max_body_kb`` on every other route, from Content-Length, before reading."""
    return max(max_body_kb * 1024, 2 * CHECK_BODY_BYTES)
