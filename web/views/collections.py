"""Case collections (案例集): pages (``/collections``, ``/collections/<id>``), the JSON API
(``/api/collections…``) and exports (``/collections/<id>.md``, ``.docx``).

The pages work without JavaScript: every change is a small POST form answered by a redirect.
Forms are protected against cross-site requests the way a local single-user app can afford:
the Origin (or Referer) must be this host, and a random token kept in a cookie must come back
in the form (double submit). The JSON API accepts only ``application/json`` bodies — which a
foreign page cannot send without a CORS preflight this app never grants — and checks Origin too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for

from kb.render.handout import to_docx, to_markdown
from kb.store.collections import (
    NAME_MAX,
    NOTE_MAX,
    STATUS_LABELS,
    Collection,
    CollectionError,
    Snapshot,
    validate_name,
    validate_passage_id,
    validate_version,
)
from kb.tools.collections import check_status
from web.context import collections as store
from web.context import collections_path, searcher
from web.csrf import json_body, token
from web.redirects import local_path
from web.responses import download
from web.templating import region

bp = Blueprint("collections", __name__)

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def choices() -> list[Collection]:
    """Collections for the 加入案例集 control; no file is created just to render a page."""
    if not collections_path().exists():
        return []
    return store().list_collections()


def snapshot(raw: object) -> Snapshot:
    """What to save of a passage of the current corpus (400 without a passage id or when it is
    not text, 404 when there is no such passage)."""
    passage_id = validate_passage_id(raw)
    found = searcher().passages([passage_id]).get(passage_id)
    known = searcher().report_meta(found.report_id) if found else None
    if found is None or known is None:
        raise CollectionError(404, f"找不到段落 {passage_id}", "passage_id")
    source, meta = known
    return Snapshot(
        passage_id=found.id,
        report_id=found.report_id,
        text=found.text,
        org=meta.org,
        year=meta.year,
        title=meta.title,
        section_kind=found.section_kind,
        heading_path=list(found.heading_path),
        source_url=meta.source_url,
        doc_number=meta.doc_number,
        report=source,
        region=region(meta.to_dict()) or None,
        pub_date=meta.pub_date,
        truncated=found.truncated,
    )


def checked(cid: int) -> Collection:
    """A collection with each item marked ok / changed / missing against the current corpus."""
    col = store().get(cid)
    s = searcher()
    s.reload_if_stale()
    check_status(
        col.items,
        lambda pids: {pid: p.text for pid, p in s.passages(pids).items()},
        lambda rid: s.report_meta(rid) is not None,
    )
    return col


@bp.app_template_global()
def collect_state() -> dict[str, Any]:
    """What the 加入案例集 control on a hit card needs: token, collections, where to return
    (read once per page, however many hit cards it has)."""
    if "kb_collect_state" not in g:
        g.kb_collect_state = {
            "csrf": token(),
            "collections": choices(),
            "next": request.full_path.rstrip("?"),
        }
    return g.kb_collect_state


def expected_version(body: Any = None) -> int | None:
    """The version a write was based on: an ``If-Match: "N"`` header, else the ``version`` of
    the JSON body or the form (see kb.store.collections: a stale one is refused with 409)."""
    if "If-Match" in request.headers:
        return validate_version(request.headers["If-Match"])
    if body is None:
        body = request.form if request.form else _optional_json()
    return validate_version(body.get("version"))


def _optional_json() -> dict[str, Any]:
    """A DELETE may carry a JSON body (with its ``version``) or none at all."""
    body = request.get_json(silent=True) if request.is_json else None
    return body if isinstance(body, dict) else {}


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CollectionError(400, f"参数 {name} 应为整数", name) from None


# -- pages -------------------------------------------------------------------------------------


def _render(template: str, status: int = 200, **context: Any):
    """A collections page: every form on it carries the token and the length limits."""
    limits = {"name_max": NAME_MAX, "note_max": NOTE_MAX}
    return render_template(template, csrf=token(), **limits, **context), status


def _list_page(error: str | None = None, status: int = 200, name: str = ""):
    return _render("collections.html", status, collections=choices(), error=error, name=name)


@bp.get("/collections")
def index():
    return _list_page()


@bp.post("/collections")
def create():
    try:
        col = store().create(request.form.get("name"))
    except CollectionError as e:
        return _list_page(e.message, e.status, request.form.get("name", ""))
    return redirect(url_for("collections.show", cid=col.id), 303)


def _show_page(cid: int, error: str | None = None, status: int = 200):
    col = checked(cid)
    added = request.args.get("added", type=int)
    # A return link that is not a path of this site goes to the search page instead.
    back = request.args.get("back") and (local_path(request.args.get("back")) or "/")
    return _render(
        "collection.html",
        status,
        col=col,
        error=error,
        added=added,
        back=back,
        status_labels=STATUS_LABELS,
    )


@bp.get("/collections/<int:cid>")
def show(cid: int):
    return _show_page(cid)


def _form_action(cid: int, action: Callable[[], Any], anchor: str | None = None):
    """Run a form's change and go back (to the item changed, or to a local ``next`` page such
    as the list), or show the collection with the error."""
    try:
        action()
    except CollectionError as e:
        if e.status == 404:
            raise
        return _show_page(cid, e.message, e.status)
    back = local_path(request.form.get("next"))
    return redirect(back or url_for("collections.show", cid=cid, _anchor=anchor), 303)


@bp.post("/collections/<int:cid>/rename")
def rename(cid: int):
    change = partial(store().rename, cid, request.form.get("name"), expected_version())
    return _form_action(cid, change)


@bp.post("/collections/<int:cid>/delete")
def delete(cid: int):
    try:
        store().delete(cid, expected_version())
    except CollectionError as e:
        if e.status == 404:
            raise
        return _list_page(e.message, e.status)
    return redirect(url_for("collections.index"), 303)


@bp.post("/collections/<int:cid>/items/<int:item_id>/note")
def note(cid: int, item_id: int):
    change = partial(
        store().update_note, cid, item_id, request.form.get("note"), expected_version()
    )
    return _form_action(cid, change, f"item-{item_id}")


@bp.post("/collections/<int:cid>/items/<int:item_id>/move")
def move(cid: int, item_id: int):
    delta = -1 if request.form.get("direction") == "up" else 1
    change = partial(store().move_item, cid, item_id, delta, expected_version())
    return _form_action(cid, change, f"item-{item_id}")


@bp.post("/collections/<int:cid>/items/<int:item_id>/delete")
def remove(cid: int, item_id: int):
    return _form_action(cid, partial(store().remove_item, cid, item_id, expected_version()))


def _add(form: dict[str, Any]) -> tuple[Collection, int]:
    """Add a passage to the chosen collection, or to a new one when a name is given."""
    snap = snapshot(form.get("passage_id"))
    name = str(form.get("name") or "").strip()
    if name or form.get("collection") == "new":
        wanted = validate_name(name)
        existing = next((c for c in store().list_collections() if c.name == wanted), None)
        col = existing or store().create(wanted)
    else:
        col = store().get(_int(form.get("collection"), "collection"))
    item = store().add_item(col.id, snap, form.get("note", ""))
    return col, item.id


@bp.get("/collections/add")
def add_form():
    """A page for adding one passage (also where the control lands when something is wrong)."""
    return _add_page(request.args.get("passage_id", ""), request.args.get("next"))


def _add_page(passage_id: str, back: str | None, error: str | None = None, status: int = 200):
    snap = snapshot(passage_id)
    return _render(
        "collections.html",
        status,
        adding=snap,
        back=local_path(back),
        collections=choices(),
        error=error,
        form=request.form,
    )


@bp.post("/collections/add")
def add():
    back = local_path(request.form.get("next"))
    try:
        col, item_id = _add(request.form)
    except CollectionError as e:
        return _add_page(request.form.get("passage_id", ""), back, e.message, e.status)
    params: dict[str, Any] = {"added": item_id}
    if back:
        params["back"] = back
    return redirect(
        url_for("collections.show", cid=col.id, _anchor=f"item-{item_id}", **params), 303
    )


# -- exports -----------------------------------------------------------------------------------


def _export_name(col: Collection, ext: str) -> str:
    safe = "".join(c for c in col.name if c.isalnum())[:30] or "案例集"
    return f"案例集-{safe}.{ext}"


@bp.get("/collections/<int:cid>.md")
def export_md(cid: int):
    col = checked(cid)
    return download(to_markdown(col), "text/markdown; charset=utf-8", _export_name(col, "md"))


@bp.get("/collections/<int:cid>.docx")
def export_docx(cid: int):
    col = checked(cid)
    return download(to_docx(col), DOCX_MIME, _export_name(col, "docx"))


# -- JSON API ----------------------------------------------------------------------------------


@bp.get("/api/collections")
def api_list():
    return jsonify({"collections": [c.to_dict(with_items=False) for c in choices()]})


@bp.post("/api/collections")
def api_create():
    col = store().create(json_body().get("name"))
    return jsonify(col.to_dict()), 201


@bp.get("/api/collections/<int:cid>")
def api_get(cid: int):
    return jsonify(checked(cid).to_dict())


@bp.patch("/api/collections/<int:cid>")
def api_rename(cid: int):
    body = json_body()
    store().rename(cid, body.get("name"), expected_version(body))
    return jsonify(checked(cid).to_dict())


@bp.delete("/api/collections/<int:cid>")
def api_delete(cid: int):
    store().delete(cid, expected_version())
    return jsonify({"deleted": cid})


@bp.post("/api/collections/<int:cid>/items")
def api_add(cid: int):
    body = json_body()
    store().get(cid)  # 404 for an unknown collection before looking at the passage
    item = store().add_item(cid, snapshot(body.get("passage_id")), body.get("note"))
    return jsonify(item.to_dict()), 201


@bp.patch("/api/collections/<int:cid>/items/<int:item_id>")
def api_update(cid: int, item_id: int):
    body = json_body()
    if "note" not in body:
        raise CollectionError(400, "请提供 note（说明）", "note")
    item = store().update_note(cid, item_id, body["note"], expected_version(body))
    return jsonify(item.to_dict())


@bp.delete("/api/collections/<int:cid>/items/<int:item_id>")
def api_remove(cid: int, item_id: int):
    store().remove_item(cid, item_id, expected_version())
    return jsonify(checked(cid).to_dict())


@bp.post("/api/collections/<int:cid>/order")
def api_order(cid: int):
    body = json_body()
    ids = body.get("items")
    # bool is an int to Python, but true is not an item number.
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise CollectionError(400, "items 应为条目编号（整数）的列表", "items")
    store().reorder(cid, ids, expected_version(body))
    return jsonify(checked(cid).to_dict())
