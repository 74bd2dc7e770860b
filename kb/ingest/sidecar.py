"""Sidecar files: ``report.txt.meta.json`` overrides metadata fields of ``report.txt``.

A sidecar is written by hand, so every field is checked by type and range before it reaches
the store: a year is an integer from 1949 to 2100 (a huge number or ``1e400`` once stopped the
whole batch with an OverflowError), a date is a real calendar date, a level one of the known
levels, a link an http(s) address, and every other field a short single-line string. A bad
field is dropped with a warning naming the file and the field; the other fields of the same
sidecar still apply, and the batch goes on.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import unicodedata
from datetime import date
from pathlib import Path

from kb.core.models import LEVELS, ReportMeta
from kb.ingest.readers import ReadError, os_reason

SIDECAR_SUFFIX = ".meta.json"
MAX_SIDECAR_BYTES = 64 * 1024
YEAR_MIN, YEAR_MAX = 1949, 2100
MAX_TEXT_CHARS = 200
_MAX_CHARS = {"title": 300, "source_url": 2000}

_YEAR_TEXT = re.compile(r"\d{4}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


class _Invalid(ValueError):
    """A field value that cannot be used; the message says why, in Chinese."""


def sidecar_path(path: Path) -> Path:
    """`report.txt` → `report.txt.meta.json`."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def load_sidecar(
    path: Path, root: Path | None = None, follow_links: bool = False
) -> tuple[dict, list[str], bytes]:
    """Overrides from the sidecar of ``path``, warnings about it, and its raw bytes (for hashing).

    A missing sidecar is no sidecar. One that exists but cannot be read raises ReadError: the
    report is then skipped (and its stored version kept) rather than ingested without the
    metadata its maintainer wrote. With ``root`` given, a sidecar that is a link leaving
    ``root`` is not read unless ``follow_links``.
    """
    sc = sidecar_path(path)
    try:
        link = os.lstat(sc)
    except FileNotFoundError:
        return {}, [], b""
    except OSError as exc:
        raise ReadError(path, f"元数据文件 {sc.name} 无法读取（{os_reason(exc)}）") from exc
    if stat.S_ISLNK(link.st_mode) and root is not None and not follow_links:
        target = Path(os.path.realpath(sc))
        if not is_inside(target, Path(os.path.realpath(root))):
            return {}, [f"元数据文件 {sc.name} 是指向语料目录之外的链接，未读取"], b""
    try:
        info = os.stat(sc)
    except FileNotFoundError:
        return {}, [f"元数据文件 {sc.name} 是失效的链接（指向的文件不存在），已忽略"], b""
    except OSError as exc:
        raise ReadError(path, f"元数据文件 {sc.name} 无法读取（{os_reason(exc)}）") from exc
    if not stat.S_ISREG(info.st_mode):
        return {}, [f"元数据文件 {sc.name} 不是普通文件，已忽略"], b""
    try:
        with open(sc, "rb") as fh:
            raw = fh.read(MAX_SIDECAR_BYTES + 1)
    except OSError as exc:
        raise ReadError(path, f"元数据文件 {sc.name} 无法读取（{os_reason(exc)}）") from exc
    if len(raw) > MAX_SIDECAR_BYTES:
        return (
            {},
            [f"元数据文件 {sc.name} 过大（超过 {MAX_SIDECAR_BYTES // 1024} KB），已忽略"],
            raw,
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        # ValueError covers JSONDecodeError and integers of more than 4300 digits.
        return {}, [f"元数据文件 {sc.name} 不是有效的 JSON（{e}），已忽略"], raw
    if not isinstance(data, dict):
        return {}, [f"元数据文件 {sc.name} 应为 JSON 对象，已忽略"], raw
    return validate_overrides(data, sc.name) + (raw,)


def is_inside(target: Path, root: Path) -> bool:
    """Whether the resolved ``target`` is ``root`` or lies under it (both resolved)."""
    return target == root or root in target.parents


def validate_overrides(data: dict, name: str) -> tuple[dict, list[str]]:
    """Keep the well-formed fields of a sidecar; explain, per field, what was dropped."""
    known = set(ReportMeta.field_names())
    out, warnings = {}, []
    for key, value in data.items():
        if key not in known:
            warnings.append(f"元数据文件 {name} 中的字段 {_short(key)} 未知，已忽略")
            continue
        try:
            out[key] = None if value is None else _CHECKS.get(key, _text)(key, value)
        except _Invalid as e:
            warnings.append(f"元数据文件 {name} 中 {key}={_short(value)} {e}，已忽略")
    return out, warnings


def _year(key: str, value: object) -> int:
    if isinstance(value, bool):
        raise _Invalid("不是年份")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and _YEAR_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise _Invalid("不是年份")
    if not YEAR_MIN <= value <= YEAR_MAX:
        raise _Invalid(f"不在 {YEAR_MIN}–{YEAR_MAX} 之间")
    return value


def _pub_date(key: str, value: object) -> str | None:
    text = _text(key, value)
    if text is None:
        return None
    if not _ISO_DATE.fullmatch(text):
        raise _Invalid("应为 YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _Invalid("不是真实的日期") from None
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise _Invalid(f"的年份不在 {YEAR_MIN}–{YEAR_MAX} 之间")
    return text


def _level(key: str, value: object) -> str | None:
    text = _text(key, value)
    if text is not None and text not in LEVELS:
        raise _Invalid(f"应为 {'、'.join(LEVELS)} 之一")
    return text


def _source_url(key: str, value: object) -> str | None:
    text = _text(key, value)
    if text is not None and not _URL.fullmatch(text):
        raise _Invalid("应为 http:// 或 https:// 开头的网址")
    return text


def _text(key: str, value: object) -> str | None:
    """A single-line string of bounded length; blank means "no value"."""
    if not isinstance(value, str):
        raise _Invalid(f"应为文字（字符串），而不是{_type_name(value)}")
    text = value.strip()
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text):
        raise _Invalid("含有换行或控制字符")
    limit = _MAX_CHARS.get(key, MAX_TEXT_CHARS)
    if len(text) > limit:
        raise _Invalid(f"过长（{len(text)} 字，上限 {limit} 字）")
    return text or None


_CHECKS = {"year": _year, "pub_date": _pub_date, "level": _level, "source_url": _source_url}


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int | float):
        return "数字"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "对象"
    return type(value).__name__


def _short(value: object, limit: int = 40) -> str:
    """repr of a value, cut to a readable length (a sidecar can hold anything)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = "<超过 4300 位的整数>"
    return text if len(text) <= limit else text[: limit - 1] + "…"
