"""对照检查 (``/check``): a drafter's report against what peer reports say, its JSON twin
(``POST /api/check``) and its exports (the same form posted with ``export=md|docx``).

The draft travels only in POST bodies — never in a URL, a cookie or a log line — and is
checked in memory (:mod:`kb.draftcheck`): the result page is rendered and the draft dropped.
The export buttons post the draft again (from a hidden field of the result page), since
nothing was kept to export from. Bodies here may be up to ``CHECK_BODY_BYTES`` (an uploaded
.docx); every other route keeps the app's small body limit.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from kb.core.models import LEVELS, SECTION_KINDS
from kb.draftcheck.check import CheckResult, DraftError, check_draft
from kb.draftcheck.cli import DRAFT_EXTENSIONS, options_from, read_draft
from kb.ingest.departments import DEPT_KINDS
from kb.render.draftcheck import to_docx, to_markdown
from web.context import searcher
from web.limits import CHECK_BODY_BYTES, capped_hits
from web.responses import download

bp = Blueprint("check", __name__)

CHECK_PATHS = ("/check", "/api/check")
TOO_LARGE = f"上传的草稿过大（上限 {CHECK_BODY_BYTES // (1024 * 1024)} MB），请删去图片等内容后重试，或直接粘贴文字"
FIELDS = ("dept", "level", "year", "section", "embed")


@bp.before_app_request
def larger_bodies() -> None:
    """Let /check take an uploaded draft; must run before the CSRF check reads the form."""
    if request.path in CHECK_PATHS and request.method == "POST":
        request.max_content_length = CHECK_BODY_BYTES
        request.max_form_memory_size = CHECK_BODY_BYTES


def _choices() -> dict[str, Any]:
    known = set(searcher().bundle.rows.values("dept_kind"))
    return {
        "depts": [d for d in DEPT_KINDS if d in known] or list(DEPT_KINDS),
        "levels": LEVELS,
        "sections": [k for k in SECTION_KINDS if k != "其他"],
    }


def _form_state(source: dict[str, Any]) -> dict[str, str]:
    return {k: str(source.get(k) or "").strip() for k in FIELDS}


def _year(value: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise DraftError(f"年度 {value!r} 不是整数") from None


def _draft_text(source: dict[str, Any], upload: FileStorage | None) -> tuple[str, dict[str, str]]:
    """The pasted text, or the uploaded file read with the ingest readers (file wins)."""
    if upload is not None and upload.filename:
        return read_draft(upload.filename, upload.read(CHECK_BODY_BYTES + 1))
    text = str(source.get("text") or "")
    if not text.strip():
        raise DraftError("请粘贴草稿文字，或上传 .txt / .docx 文件")
    return text, {}


def _run(source: dict[str, Any], upload: FileStorage | None) -> tuple[CheckResult, str]:
    state = _form_state(source)
    text, hints = _draft_text(source, upload)
    embed = state["embed"].lower() in ("1", "true", "on", "yes")
    options = options_from(state["dept"], state["level"], _year(state["year"]), None, embed)
    if state["section"]:
        if state["section"] not in SECTION_KINDS:
            raise DraftError(f"章节类型 {state['section']!r} 无效")
        options.section_kind = state["section"]
    return check_draft(searcher(), text, options, hints), text


def _capped(body: dict[str, Any]) -> dict[str, Any]:
    for para in body["paragraphs"]:
        para["peers"] = capped_hits(para["peers"])
        para["other_peers"] = capped_hits(para["other_peers"])
    for group in body["gaps"]:
        for item in group["items"]:
            item["examples"] = capped_hits(item["examples"])
    return body


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_e: RequestEntityTooLarge):
    if request.path.startswith("/api/"):
        return jsonify({"error": {"status": 413, "message": TOO_LARGE}}), 413
    return render_template("check.html", state={}, error=TOO_LARGE, **_choices()), 413


@bp.get("/check")
def page():
    return render_template("check.html", state={}, **_choices())


@bp.post("/check")
def run():
    form = request.form
    state = _form_state(form)
    try:
        result, text = _run(form, request.files.get("file"))
    except DraftError as e:
        return render_template(
            "check.html", state=state, error=str(e), text=form.get("text", ""), **_choices()
        ), 400
    body = result.to_dict()
    export = form.get("export")
    if export == "md":
        return download(to_markdown(body), "text/markdown; charset=utf-8", "kb-对照检查.md")
    if export == "docx":
        mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return download(to_docx(body), mime, "kb-对照检查.docx")
    return render_template(
        "check.html", state=state, result=body, text=text, extensions=DRAFT_EXTENSIONS, **_choices()
    )


@bp.post("/api/check")
def api():
    """JSON ``{"text", "dept", "level", "year", "section", "embed"}``, or a multipart form with
    ``file``; answers the check result (``stored`` is always false)."""
    if request.is_json:
        source = request.get_json(silent=True)
        if not isinstance(source, dict):
            return jsonify({"error": {"status": 400, "message": "请求体必须是一个 JSON 对象"}}), 400
        upload = None
    else:
        source, upload = request.form.to_dict(), request.files.get("file")
    try:
        result, _text = _run(source, upload)
    except DraftError as e:
        return jsonify({"error": {"status": 400, "message": str(e)}}), 400
    return jsonify(_capped(result.to_dict()))
