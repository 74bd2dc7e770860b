"""Signing in and out (``[access] mode = "accounts"``), and who the API sees (``/api/session``).

The login form is protected like every form (web.csrf). A password is read from the form,
checked against its hash and dropped: it is never logged, echoed back or put in a URL.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for

from web import auth
from web.context import config, users
from web.csrf import token
from web.errors import ApiError
from web.redirects import local_path

bp = Blueprint("account", __name__)


def _require_accounts() -> None:
    if auth.mode() == "off":
        raise ApiError(404, "本站未启用登录：所有人都可以检索和编辑案例集")
    if auth.mode() == "remote_user":
        raise ApiError(404, "本站由单位的统一身份认证负责登录，无需在此登录")


def _page(status: int = 200, error: str | None = None, name: str = ""):
    back = local_path(request.values.get("next")) or url_for("collections.index")
    html = render_template("login.html", csrf=token(), error=error, name=name, next=back)
    return html, status


@bp.get("/login")
def login():
    _require_accounts()
    return _page()


@bp.post("/login")
def login_post():
    _require_accounts()
    name = request.form.get("name", "")
    user = users().authenticate(name, request.form.get("password", ""))
    if user is None:
        return _page(401, "用户名或密码不正确", name[:40])
    old = request.cookies.get(auth.SESSION_COOKIE)
    if old:
        users().end_session(old)
    response = redirect(local_path(request.form.get("next")) or url_for("collections.index"), 303)
    auth.set_session_cookie(response, users().start_session(user, config().access.session_days))
    g.kb_stale_session = False  # the new cookie stands
    return response


@bp.post("/logout")
def logout():
    _require_accounts()
    current = request.cookies.get(auth.SESSION_COOKIE)
    if current:
        users().end_session(current)
    response = redirect(url_for("search.page"), 303)
    auth.clear_session_cookie(response)
    return response


@bp.get("/api/session")
def api_session():
    """Who the server sees: ``access`` (off | accounts | remote_user), ``user`` (or null),
    ``can_write`` (may make collections) and ``login`` (where to sign in, or null)."""
    return jsonify(auth.viewer())
