"""Who is asking, and what they may change: the access model (``[access]`` in the config).

* ``off`` (the default, for the local single-user ``make run``): nobody signs in, everyone may
  change every collection — kb as it always was.
* ``accounts``: users made with ``kb user add`` sign in on ``/login``; the session cookie is
  HttpOnly, SameSite=Lax, and Secure when the request came over https (or
  ``secure_cookies = true`` behind a proxy that terminates TLS).
* ``remote_user``: a reverse proxy has signed the user in and names them in a header
  (``remote_user_header``); the header is believed only from ``trusted_proxies``, so
  a browser talking to kb directly cannot name itself.

With access control on, anonymous visitors search and read but change nothing; a collection
belongs to whoever made it, only its owner changes it, and others read it through its share
link. Collections made while access control was off belong to nobody: signed-in users read
them, nobody changes them until ``kb user adopt`` gives them to someone.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from typing import Any

from flask import Flask, Response, g, request, url_for

from kb.store.collections import Collection
from web.context import config, users
from web.errors import ApiError

SESSION_COOKIE = "kb_session"


def mode() -> str:
    return config().access.mode


def enabled() -> bool:
    return mode() != "off"


def current_user() -> str | None:
    """The signed-in user's name (None: anonymous, or access control off)."""
    return g.get("kb_user")


def _trusted(address: str | None, proxies: str) -> bool:
    """Whether a request comes from one of the configured proxies (addresses or networks)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
        return any(
            ip in ipaddress.ip_network(p.strip(), strict=False)
            for p in proxies.split(",")
            if p.strip()
        )
    except ValueError:
        return False


def _proxy_user() -> str | None:
    access = config().access
    if not _trusted(request.remote_addr, access.trusted_proxies):
        return None
    name = request.headers.get(access.remote_user_header, "")
    name = unicodedata.normalize("NFKC", name).strip()
    if (
        not name
        or len(name) > 64
        or any(unicodedata.category(c)[0] in "CZ" and c != " " for c in name)
    ):
        return None
    return name


def _identify() -> None:
    g.kb_user = None
    if mode() == "accounts":
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            g.kb_user = users().session_user(token)
            g.kb_stale_session = g.kb_user is None
    elif mode() == "remote_user":
        g.kb_user = _proxy_user()


# -- permissions -----------------------------------------------------------------------------------


def may_write() -> bool:
    """Whether this visitor may make collections at all."""
    return not enabled() or current_user() is not None


def owns(col: Collection) -> bool:
    """Whether this visitor may change ``col``."""
    return not enabled() or (current_user() is not None and col.owner == current_user())


def may_read(col: Collection) -> bool:
    """Reading by id: the owner, and signed-in users for a collection nobody owns (others
    need its share link)."""
    return owns(col) or (current_user() is not None and col.owner == "")


def sign_in_hint() -> str:
    return "（请先登录）" if mode() == "accounts" else "（请通过单位的统一身份认证登录）"


def require_writer() -> str:
    """The owner a new collection gets ("" with access control off); 403 for a visitor."""
    if not may_write():
        raise ApiError(403, f"未登录的访客只能检索和阅读，不能建立或修改案例集{sign_in_hint()}")
    return current_user() or ""


def require_owner(col: Collection) -> None:
    """403 unless this visitor may change ``col``."""
    if owns(col):
        return
    require_writer()
    if not col.owner:
        raise ApiError(
            403,
            "这个案例集建于启用登录之前，尚无归属，暂时只能阅读；"
            "请管理员运行 kb user adopt 用户名，把它交给一位用户",
        )
    raise ApiError(403, f"案例集「{col.name}」属于 {col.owner}，只有创建者可以修改")


def require_reader(col: Collection) -> None:
    """403 unless this visitor may read ``col`` by its id."""
    if not may_read(col):
        raise ApiError(403, "这个案例集属于其他用户；请向创建者索取分享链接查看")


# -- the session cookie ----------------------------------------------------------------------------


def secure_cookie() -> bool:
    return request.is_secure or config().access.secure_cookies


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(config().access.session_days * 86400),
        httponly=True,
        samesite="Lax",  # sent when following a link here (a share link), never on a foreign POST
        secure=secure_cookie(),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="Lax", secure=secure_cookie(), path="/"
    )


def _forget_stale(response: Response) -> Response:
    """A cookie naming an ended or expired sign-in is removed, not sent forever."""
    if g.get("kb_stale_session"):
        clear_session_cookie(response)
    return response


def viewer() -> dict[str, Any]:
    """What the templates show of the visitor: the mode, the name, where to sign in."""
    login = None
    if mode() == "accounts" and current_user() is None:
        here = None if request.blueprint == "account" else request.full_path.rstrip("?")
        login = url_for("account.login", next=here)
    return {"access": mode(), "user": current_user(), "can_write": may_write(), "login": login}


def register(app: Flask) -> None:
    app.before_request(_identify)
    app.after_request(_forget_stale)
    app.jinja_env.globals.update(viewer=viewer, owns=owns)
