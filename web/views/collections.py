"""Case collections (案例集): pages (``/collections``, ``/collections/<id>``), the JSON API
(``/api/collections…``) and exports (``/collections/<id>.md``, ``.docx``).

The pages work without JavaScript: every change is a small POST form answered by a redirect.
Forms are protected against cross-site requests the way a local single-user app can afford:
the Origin (or Referer) must be this host, and a random token kept in a cookie must come back
in the form (double submit). The JSON API accepts only ``application/json`` bodies — which a
foreign page cannot send without a CORS preflight this app never grants — and checks Origin too.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import partial, wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from kb.tools.collections import (
    NAME_MAX,
    NOTE_MAX,
    STATUS_LABELS,
    Collection,
    CollectionError,
    CollectionStore,
    Snapshot,
    check_status,
    default_path,
    to_docx,
    to_markdown,
    validate_name,
    validate_passage_id,
)
from kb.tools.trends import passages
from web.errors import ApiError
from web.render import region
from web.views.export import _download
from web.views.search import config, searcher

bp = Blueprint("collections", __name__)

CSRF_COOKIE = "kb_csrf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- the database --------------------------------------------------------------------------------


def store_path() -> Path:
    """``KB_COLLECTIONS`` in the app config (tests), else ``<data_dir>/collections.sqlite``."""
    return Path(current_app.config.get("KB_COLLECTIONS") or default_path(config()))


def store() -> CollectionStore:
    """The app's collection store, created (with its file) on first use."""
    stores = current_app.extensions.setdefault("kb_collections", {})
    path = str(store_path())
    if path not in stores:
        stores[path] = CollectionStore(path)
    return stores[path]


def choices() -> list[Collection]:
    """Collections for the 加入案例集 control; no file is created just to render a page."""
    if not store_path().exists():
        return []
    return store().list_collections()


def snapshot(raw: object) -> Snapshot:
    """What to save of a passage of the current corpus (400 without a passage id or when it is
    not text, 404 when there is no such passage)."""
    passage_id = validate_passage_id(raw)
    found = passages(searcher(), [passage_id]).get(passage_id)
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
    )


def checked(cid: int) -> Collection:
    """A collection with each item marked ok / changed / missing against the current corpus."""
    col = store().get(cid)
    s = searcher()
    s.reload_if_stale()
    check_status(
        col.items,
        lambda pids: {pid: p.text for pid, p in passages(s, pids).items()},
        lambda rid: s.report_meta(rid) is not None,
    )
    return col


# -- cross-site request protection ---------------------------------------------------------------


def csrf_token() -> str:
    """This browser's token (from its cookie, or a new one the response will set)."""
    if "kb_csrf" not in g:
        token = request.cookies.get(CSRF_COOKIE, "")
        if len(token) < 32:
            token = secrets.token_urlsafe(32)
            g.kb_csrf_new = True
        g.kb_csrf = token
    return g.kb_csrf


@bp.after_app_request
def _set_csrf_cookie(response: Response) -> Response:
    if g.get("kb_csrf_new"):
        response.set_cookie(
            CSRF_COOKIE, g.kb_csrf, httponly=True, samesite="Strict", max_age=30 * 86400
        )
    return response


def _same_origin() -> bool:
    """Origin, else Referer, names this host (a request with neither is let through: the
    token or the JSON content type still has to be right)."""
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            return urlsplit(value).netloc == request.host
    return True


def check_form() -> None:
    """Refuse a form post that did not come from one of our pages."""
    if not _same_origin():
        raise ApiError(403, "请求来自其他网站，已拒绝")
    sent = request.form.get("csrf", "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise ApiError(403, "表单已过期或来源不明，请刷新页面后重试")


def json_body() -> dict[str, Any]:
    """The JSON object of an API write (415/400 otherwise); cross-origin writes are refused."""
    if not _same_origin():
        raise ApiError(403, "请求来自其他网站，已拒绝")
    if not request.is_json:
        raise ApiError(415, "请求体必须是 JSON（Content-Type: application/json）")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "请求体必须是一个 JSON 对象")
    return body


@bp.app_template_global()
def collect_state() -> dict[str, Any]:
    """What the 加入案例集 control on a hit card needs: token, collections, where to return
    (read once per page, however many hit cards it has)."""
    if "kb_collect_state" not in g:
        g.kb_collect_state = {
            "csrf": csrf_token(),
            "collections": choices(),
            "next": request.full_path.rstrip("?"),
        }
    return g.kb_collect_state


def api_errors(view: Callable) -> Callable:
    """CollectionError → the app's JSON error answer (status, message, field)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        try:
            return view(*args, **kwargs)
        except CollectionError as e:
            raise ApiError(e.status, e.message, e.field) from e

    return wrapped


def _local(target: str | None) -> str | None:
    """Only a path on this site is a place to go back to (no //host, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CollectionError(400, f"参数 {name} 应为整数", name) from None


# -- pages -------------------------------------------------------------------------------------


def _render(template: str, status: int = 200, **context: Any):
    """A collections page: every form on it carries the token and the length limits."""
    limits = {"name_max": NAME_MAX, "note_max": NOTE_MAX}
    return render_template(template, csrf=csrf_token(), **limits, **context), status


def _list_page(error: str | None = None, status: int = 200, name: str = ""):
    return _render("collections.html", status, collections=choices(), error=error, name=name)


@bp.get("/collections")
def index():
    return _list_page()


@bp.post("/collections")
def create():
    check_form()
    try:
        col = store().create(request.form.get("name"))
    except CollectionError as e:
        return _list_page(e.message, e.status, request.form.get("name", ""))
    return redirect(url_for("collections.show", cid=col.id), 303)


def _show_page(cid: int, error: str | None = None, status: int = 200):
    col = checked(cid)
    added = request.args.get("added", type=int)
    back = _local(request.args.get("back"))
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
    try:
        return _show_page(cid)
    except CollectionError as e:
        raise ApiError(e.status, e.message) from e


def _form_action(cid: int, action: Callable[[], Any], anchor: str | None = None):
    """Run a form's change and go back (to the item changed, or to a local ``next`` page such
    as the list), or show the collection with the error."""
    check_form()
    try:
        action()
    except CollectionError as e:
        if e.status == 404:
            raise ApiError(404, e.message) from e
        return _show_page(cid, e.message, e.status)
    back = _local(request.form.get("next"))
    return redirect(back or url_for("collections.show", cid=cid, _anchor=anchor), 303)


@bp.post("/collections/<int:cid>/rename")
def rename(cid: int):
    return _form_action(cid, lambda: store().rename(cid, request.form.get("name")))


@bp.post("/collections/<int:cid>/delete")
def delete(cid: int):
    check_form()
    try:
        store().delete(cid)
    except CollectionError as e:
        raise ApiError(e.status, e.message) from e
    return redirect(url_for("collections.index"), 303)


@bp.post("/collections/<int:cid>/items/<int:item_id>/note")
def note(cid: int, item_id: int):
    change = partial(store().update_note, cid, item_id, request.form.get("note"))
    return _form_action(cid, change, f"item-{item_id}")


@bp.post("/collections/<int:cid>/items/<int:item_id>/move")
def move(cid: int, item_id: int):
    delta = -1 if request.form.get("direction") == "up" else 1
    return _form_action(cid, lambda: store().move_item(cid, item_id, delta), f"item-{item_id}")


@bp.post("/collections/<int:cid>/items/<int:item_id>/delete")
def remove(cid: int, item_id: int):
    return _form_action(cid, lambda: store().remove_item(cid, item_id))


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
    try:
        snap = snapshot(passage_id)
    except CollectionError as e:
        raise ApiError(e.status, e.message) from e
    return _render(
        "collections.html",
        status,
        adding=snap,
        back=_local(back),
        collections=choices(),
        error=error,
        form=request.form,
    )


@bp.post("/collections/add")
def add():
    check_form()
    back = _local(request.form.get("next"))
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
    col = _checked_or_404(cid)
    return _download(to_markdown(col), "text/markdown; charset=utf-8", _export_name(col, "md"))


@bp.get("/collections/<int:cid>.docx")
def export_docx(cid: int):
    col = _checked_or_404(cid)
    response = _download("", DOCX_MIME, _export_name(col, "docx"))
    response.set_data(to_docx(col))
    return response


def _checked_or_404(cid: int) -> Collection:
    try:
        return checked(cid)
    except CollectionError as e:
        raise ApiError(e.status, e.message) from e


# -- JSON API ----------------------------------------------------------------------------------


@bp.get("/api/collections")
@api_errors
def api_list():
    return jsonify({"collections": [c.to_dict(with_items=False) for c in choices()]})


@bp.post("/api/collections")
@api_errors
def api_create():
    col = store().create(json_body().get("name"))
    return jsonify(col.to_dict()), 201


@bp.get("/api/collections/<int:cid>")
@api_errors
def api_get(cid: int):
    return jsonify(checked(cid).to_dict())


@bp.patch("/api/collections/<int:cid>")
@api_errors
def api_rename(cid: int):
    store().rename(cid, json_body().get("name"))
    return jsonify(checked(cid).to_dict())


@bp.delete("/api/collections/<int:cid>")
@api_errors
def api_delete(cid: int):
    if not _same_origin():
        raise ApiError(403, "请求来自其他网站，已拒绝")
    store().delete(cid)
    return jsonify({"deleted": cid})


@bp.post("/api/collections/<int:cid>/items")
@api_errors
def api_add(cid: int):
    body = json_body()
    store().get(cid)  # 404 for an unknown collection before looking at the passage
    item = store().add_item(cid, snapshot(body.get("passage_id")), body.get("note"))
    return jsonify(item.to_dict()), 201


@bp.patch("/api/collections/<int:cid>/items/<int:item_id>")
@api_errors
def api_update(cid: int, item_id: int):
    body = json_body()
    if "note" not in body:
        raise CollectionError(400, "请提供 note（说明）", "note")
    return jsonify(store().update_note(cid, item_id, body["note"]).to_dict())


@bp.delete("/api/collections/<int:cid>/items/<int:item_id>")
@api_errors
def api_remove(cid: int, item_id: int):
    if not _same_origin():
        raise ApiError(403, "请求来自其他网站，已拒绝")
    store().remove_item(cid, item_id)
    return jsonify(checked(cid).to_dict())


@bp.post("/api/collections/<int:cid>/order")
@api_errors
def api_order(cid: int):
    ids = json_body().get("items")
    # bool is an int to Python, but true is not an item number.
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise CollectionError(400, "items 应为条目编号（整数）的列表", "items")
    store().reorder(cid, ids)
    return jsonify(checked(cid).to_dict())
