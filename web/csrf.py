"""Cross-site request protection for every write the app accepts.

A local single-user app can afford a simple, strict rule, applied before any view runs:

* every unsafe request (POST, PUT, PATCH, DELETE) must come from this site: Origin, else
  Referer, must name this host;
* a form post must also carry the per-browser token kept in an HttpOnly, SameSite=Strict
  cookie (double submit);
* the JSON API needs no token: its writes must be ``application/json``
  (:func:`json_body`), which a foreign page cannot send without a CORS preflight this app never
  grants.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from web.errors import ApiError

COOKIE = "kb_csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def token() -> str:
    """This browser's token (from its cookie, or a new one the response will set)."""
    if "kb_csrf" not in g:
        value = request.cookies.get(COOKIE, "")
        if len(value) < 32:
            value = secrets.token_urlsafe(32)
            g.kb_csrf_new = True
        g.kb_csrf = value
    return g.kb_csrf


def same_origin() -> bool:
    """Origin, else Referer, names this host (a request with neither is let through: the
    token or the JSON content type still has to be right)."""
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            return urlsplit(value).netloc == request.host
    return True


def json_body() -> dict[str, Any]:
    """The JSON object of an API write (415/400 otherwise)."""
    if not request.is_json:
        raise ApiError(415, "请求体必须是 JSON（Content-Type: application/json）")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "请求体必须是一个 JSON 对象")
    return body


def _protect() -> None:
    if request.method not in UNSAFE:
        return
    if not same_origin():
        raise ApiError(403, "请求来自其他网站，已拒绝")
    if request.path.startswith("/api/"):
        return
    sent = request.form.get("csrf", "")
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise ApiError(403, "表单已过期或来源不明，请刷新页面后重试")


def _set_cookie(response: Response) -> Response:
    if g.get("kb_csrf_new"):
        response.set_cookie(COOKIE, g.kb_csrf, httponly=True, samesite="Strict", max_age=30 * 86400)
    return response


def register(app: Flask) -> None:
    app.before_request(_protect)
    app.after_request(_set_cookie)
    app.jinja_env.globals["csrf_token"] = token
