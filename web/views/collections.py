"""Case collections (案例集): pages (``/collections``, ``/collections/<id>``), the JSON API
(``/api/collections…``) and exports (``/collections/<id>.md``, ``.docx``).

The pages work without JavaScript: every change is a small POST form answered by a redirect.
Forms are protected against cross-site requests the way a local single-user app can afford:
the Origin (or Referer) must be this host, and a random token kept in a cookie must come back
in the form (double submit). The JSON API accepts only ``application/json`` bodies — which a
foreign page cannot send without a CORS preflight this app never grants — and checks Origin too.

Who may read and change what is :mod:`web.auth`'s to say (the access model): every read by id
asks ``readable``, every change ``owned``; a share link (``/shared/<token>``) shows a
collection read-only to anyone who has it.
"""

from __future__ import annotations

import dataclasses
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
from web import auth
from web.context import collections as store
from web.context import collections_path, searcher
from web.csrf import json_body, token
from web.redirects import local_path
from web.responses import download
from web.templating import region

bp = Blueprint("collections", __name__)

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _visible(*, writable: bool) -> list[Collection]:
    """The collections this visitor sees in the list (``writable``: only those they may add
    to); no file is created just to render a page."""
    if not collections_path().exists():
        return []
    if not auth.enabled():
        return store().list_collections()
    user = auth.current_user()
    if user is None:
        return []
    return store().list_collections(owners=(user,) if writable else (user, ""))


def listed() -> list[Collection]:
    """The list page: all collections (access control off), else the visitor's own and the
    ones nobody owns (read-only)."""
    return _visible(writable=False)


def choices() -> list[Collection]:
    """Collections for the 加入案例集 control: the ones this visitor may add to."""
    return _visible(writable=True)


def readable(cid: int) -> Collection:
    """The collection, if this visitor may read it by its id (404, 403 otherwise)."""
    col = store().get(cid)
    auth.require_reader(col)
    return col


def owned(cid: int) -> Collection:
    """The collection, if this visitor may change it (404, 403 otherwise)."""
    col = store().get(cid)
    auth.require_owner(col)
    return col


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


def checked(col: Collection) -> Collection:
    """The collection with each item marked ok / changed / missing against the current corpus."""
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
            "can_write": auth.may_write(),
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
    return _render("collections.html", status, collections=listed(), error=error, name=name)


@bp.get("/collections")
def index():
    return _list_page()


@bp.post("/collections")
def create():
    owner = auth.require_writer()
    try:
        col = store().create(request.form.get("name"), owner)
    except CollectionError as e:
        return _list_page(e.message, e.status, request.form.get("name", ""))
    return redirect(url_for("collections.show", cid=col.id), 303)


def share_url(col: Collection) -> str | None:
    """The read-only link of a collection, for its owner's eyes (with access control on)."""
    if not (auth.enabled() and auth.owns(col)):
        return None
    return url_for("collections.shared_page", share=col.share_token, _external=True)


def _exports(col: Collection, shared: bool) -> dict[str, str]:
    """Where the page's download and JSON links go: by share link on a shared page."""
    if shared:
        names = ("shared_md", "shared_docx", "api_shared")
        return {
            k: url_for(f"collections.{n}", share=col.share_token)
            for k, n in zip(("md", "docx", "json"), names, strict=True)
        }
    names = ("export_md", "export_docx", "api_get")
    return {
        k: url_for(f"collections.{n}", cid=col.id)
        for k, n in zip(("md", "docx", "json"), names, strict=True)
    }


def _collection_page(
    col: Collection, error: str | None = None, status: int = 200, shared: bool = False
):
    added = request.args.get("added", type=int)
    # A return link that is not a path of this site goes to the search page instead.
    back = request.args.get("back") and (local_path(request.args.get("back")) or "/")
    return _render(
        "collection.html",
        status,
        col=checked(col),
        error=error,
        added=added,
        back=back,
        status_labels=STATUS_LABELS,
        can_edit=auth.owns(col) and not shared,
        shared=shared,
        share_url=None if shared else share_url(col),
        exports=_exports(col, shared),
    )


def _show_page(cid: int, error: str | None = None, status: int = 200):
    return _collection_page(readable(cid), error, status)


@bp.get("/collections/<int:cid>")
def show(cid: int):
    return _show_page(cid)


@bp.get("/shared/<share>")
def shared_page(share: str):
    """A collection read-only, for anyone holding its share link."""
    return _collection_page(store().shared(share), shared=True)


@bp.post("/collections/<int:cid>/share")
def new_share_link(cid: int):
    """Revoke the share link (whoever has the old one loses access) and make a new one."""
    owned(cid)
    store().new_share_token(cid)
    return redirect(url_for("collections.show", cid=cid, _anchor="share"), 303)


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
    owned(cid)
    change = partial(store().rename, cid, request.form.get("name"), expected_version())
    return _form_action(cid, change)


@bp.post("/collections/<int:cid>/delete")
def delete(cid: int):
    owned(cid)
    try:
        store().delete(cid, expected_version())
    except CollectionError as e:
        if e.status == 404:
            raise
        return _list_page(e.message, e.status)
    return redirect(url_for("collections.index"), 303)


@bp.post("/collections/<int:cid>/items/<int:item_id>/note")
def note(cid: int, item_id: int):
    owned(cid)
    change = partial(
        store().update_note, cid, item_id, request.form.get("note"), expected_version()
    )
    return _form_action(cid, change, f"item-{item_id}")


@bp.post("/collections/<int:cid>/items/<int:item_id>/move")
def move(cid: int, item_id: int):
    """Up or down one place (``direction``), or straight to a place (``position``, from 1)."""
    col = owned(cid)
    delta = -1 if request.form.get("direction") == "up" else 1
    if request.form.get("position"):
        order = [i.id for i in col.items]
        where = _int(request.form.get("position"), "position") - 1
        delta = where - order.index(item_id) if item_id in order else 0
    change = partial(store().move_item, cid, item_id, delta, expected_version())
    return _form_action(cid, change, f"item-{item_id}")


@bp.post("/collections/<int:cid>/items/<int:item_id>/delete")
def remove(cid: int, item_id: int):
    owned(cid)
    return _form_action(cid, partial(store().remove_item, cid, item_id, expected_version()))


def _add(form: dict[str, Any]) -> tuple[Collection, int]:
    """Add a passage to the chosen collection, or to a new one when a name is given."""
    owner = auth.require_writer()
    snap = snapshot(form.get("passage_id"))
    name = str(form.get("name") or "").strip()
    if name or form.get("collection") == "new":
        wanted = validate_name(name)
        existing = next((c for c in choices() if c.name == wanted), None)
        col = existing or store().create(wanted, owner)
    else:
        col = owned(_int(form.get("collection"), "collection"))
    item = store().add_item(col.id, snap, form.get("note", ""))
    return col, item.id


@bp.get("/collections/add")
def add_form():
    """A page for adding one passage (also where the control lands when something is wrong)."""
    login = auth.viewer()["login"]
    if login:  # an anonymous visitor: sign in first, then come back here
        return redirect(login, 303)
    auth.require_writer()
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


def wants_json() -> bool:
    """A form posted by the page's script (fetch, ``Accept: application/json``) is answered
    with JSON, so a hit is added without leaving the result list; without the script the
    same form is answered with a redirect."""
    return request.accept_mimetypes.best == "application/json"


def _added_json(col: Collection, item_id: int):
    """What the 加入案例集 control shows once a passage is in: the collection, with a link."""
    current = store().get(col.id)
    link = url_for("collections.show", cid=col.id, added=item_id, _anchor=f"item-{item_id}")
    body = {"collection": {"id": col.id, "name": col.name, "count": current.count}, "url": link}
    return jsonify({**body, "item": item_id}), 201


@bp.post("/collections/add")
def add():
    back = local_path(request.form.get("next"))
    try:
        col, item_id = _add(request.form)
    except CollectionError as e:
        if wants_json():
            return jsonify({"error": {"status": e.status, "message": e.message}}), e.status
        return _add_page(request.form.get("passage_id", ""), back, e.message, e.status)
    if wants_json():
        return _added_json(col, item_id)
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


def _markdown(col: Collection):
    col = checked(col)
    return download(to_markdown(col), "text/markdown; charset=utf-8", _export_name(col, "md"))


def _docx(col: Collection):
    col = checked(col)
    return download(to_docx(col), DOCX_MIME, _export_name(col, "docx"))


@bp.get("/collections/<int:cid>.md")
def export_md(cid: int):
    return _markdown(readable(cid))


@bp.get("/collections/<int:cid>.docx")
def export_docx(cid: int):
    return _docx(readable(cid))


@bp.get("/shared/<share>.md")
def shared_md(share: str):
    return _markdown(store().shared(share))


@bp.get("/shared/<share>.docx")
def shared_docx(share: str):
    return _docx(store().shared(share))


# -- JSON API ----------------------------------------------------------------------------------


def as_json(col: Collection, with_items: bool = True) -> dict[str, Any]:
    """A collection for the API: what the store says, plus what this visitor may do with it
    (``can_edit``) and, for its owner with access control on, its ``share_url``."""
    out = col.to_dict(with_items=with_items)
    out["can_edit"] = auth.owns(col)
    link = share_url(col)
    if link:
        out["share_url"] = link
    return out


def _current(cid: int) -> dict[str, Any]:
    """The collection as it is after a change, items checked against the corpus."""
    return as_json(checked(store().get(cid)))


@bp.get("/api/collections")
def api_list():
    return jsonify({"collections": [as_json(c, with_items=False) for c in listed()]})


@bp.post("/api/collections")
def api_create():
    owner = auth.require_writer()
    col = store().create(json_body().get("name"), owner)
    return jsonify(as_json(col)), 201


@bp.get("/api/collections/<int:cid>")
def api_get(cid: int):
    return jsonify(as_json(checked(readable(cid))))


@bp.get("/api/shared/<share>")
def api_shared(share: str):
    """A collection read through its share link (never editable there)."""
    out = as_json(checked(store().shared(share)))
    out["can_edit"] = False
    out.pop("share_url", None)
    return jsonify(out)


@bp.patch("/api/collections/<int:cid>")
def api_rename(cid: int):
    owned(cid)
    body = json_body()
    store().rename(cid, body.get("name"), expected_version(body))
    return jsonify(_current(cid))


@bp.delete("/api/collections/<int:cid>")
def api_delete(cid: int):
    owned(cid)
    store().delete(cid, expected_version())
    return jsonify({"deleted": cid})


@bp.post("/api/collections/<int:cid>/items")
def api_add(cid: int):
    owned(cid)  # 404 / 403 before looking at the passage
    body = json_body()
    item = store().add_item(cid, snapshot(body.get("passage_id")), body.get("note"))
    return jsonify(item.to_dict()), 201


@bp.patch("/api/collections/<int:cid>/items/<int:item_id>")
def api_update(cid: int, item_id: int):
    owned(cid)
    body = json_body()
    if "note" not in body:
        raise CollectionError(400, "请提供 note（说明）", "note")
    item = store().update_note(cid, item_id, body["note"], expected_version(body))
    return jsonify(item.to_dict())


@bp.delete("/api/collections/<int:cid>/items/<int:item_id>")
def api_remove(cid: int, item_id: int):
    """The collection after the removal, and the item as it was (``removed``): what 撤销 sends
    back to ``…/items/restore``."""
    owned(cid)
    removed = store().remove_item(cid, item_id, expected_version())
    return jsonify({**_current(cid), "removed": removed.to_dict()})


def _restored_snapshot(raw: Any) -> Snapshot:
    """The saved passage of a removed item, as ``removed`` gave it (400 for anything else)."""
    if not isinstance(raw, dict):
        raise CollectionError(400, "item 应为移出时返回的条目", "item")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Snapshot):
        value = raw.get(f.name, raw.get("saved_text") if f.name == "text" else None)
        ok = {"year": (int, type(None)), "truncated": (bool,), "heading_path": (list,)}.get(
            f.name, (str, type(None))
        )
        if not isinstance(value, ok) or (
            f.name == "heading_path" and not all(isinstance(p, str) for p in value)
        ):
            raise CollectionError(400, f"item.{f.name} 不合要求", "item")
        values[f.name] = value
    values["passage_id"] = validate_passage_id(values["passage_id"])
    if not isinstance(values["report_id"], str) or not isinstance(values["text"], str):
        raise CollectionError(400, "item 缺少段落原文或报告编号", "item")
    if values["year"] is not None and not 0 < values["year"] < 10000:
        raise CollectionError(400, "item.year 不是年份", "item")
    return Snapshot(**values)


@bp.post("/api/collections/<int:cid>/items/restore")
def api_restore(cid: int):
    """撤销 after 移出: the removed item back at its place, with its note (a new id)."""
    owned(cid)
    body = json_body()
    raw = body.get("item")
    snap = _restored_snapshot(raw)
    position = _int(raw.get("position", 0), "item.position")
    item = store().restore_item(
        cid, snap, raw.get("note", ""), str(raw.get("added") or ""), position,
        expected_version(body),
    )  # fmt: skip
    return jsonify({**_current(cid), "restored": item.to_dict()}), 201


@bp.post("/api/collections/<int:cid>/order")
def api_order(cid: int):
    owned(cid)
    body = json_body()
    ids = body.get("items")
    # bool is an int to Python, but true is not an item number.
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise CollectionError(400, "items 应为条目编号（整数）的列表", "items")
    store().reorder(cid, ids, expected_version(body))
    return jsonify(_current(cid))
