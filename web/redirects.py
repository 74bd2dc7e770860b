"""Where a page may send the browser next: only a path on this site.

``next`` (where a form returns to) and ``back`` (the 返回继续挑选 link) come from the request,
so a crafted link could make them point anywhere. A browser does not read a URL the way
``urlsplit`` does: it drops tabs and line breaks inside it and reads ``\\`` as ``/``, so
``/\\t/evil.example`` becomes ``//evil.example`` — another site. A target is therefore refused
outright when it holds any control or invisible formatting character (there is no "cleaned"
reading of it that both sides agree on), and what is left must be a plain path: one leading
``/``, no second ``/`` or ``\\`` after it, no scheme, no host. Anything else is ``None`` and the
caller uses its safe default.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_LENGTH = 2000  # longer than any page URL of ours; a megabyte of "next" is not a place


def _has_control(text: str) -> bool:
    """C0/C1 controls, DEL, and format characters (bidi overrides, zero-width spaces): things
    a browser strips or a reader cannot see."""
    return any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text)


def local_path(target: object) -> str | None:
    """``target`` if it is a path on this site (``/…``), else None."""
    if not isinstance(target, str):
        return None
    target = target.strip(" ")
    if not target or len(target) > MAX_LENGTH or _has_control(target):
        return None
    if not target.startswith("/") or target[1:2] in ("/", "\\") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
