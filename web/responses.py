"""Response helpers shared by the views: downloads and tool pages that refuse their parameters."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, render_template, request


def download(body: str | bytes, content_type: str, name: str) -> Response:
    """An attachment sent with exactly the given Content-Type. (As ``mimetype`` Werkzeug would
    append its own charset to a ``text/…`` type that already names one: two charsets.)"""
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=kb-export.{name.rsplit('.', 1)[-1]}; filename*=UTF-8''{quote(name)}"
    )
    return response


def filename(query: str, ext: str) -> str:
    """A download's file name from the query it answers: kb-首违不罚.csv."""
    safe = "".join(c for c in query if c.isalnum())[:20] or "检索结果"
    return f"kb-{safe}.{ext}"


def error_page(template: str, e: Exception, **context: Any):
    """A tool page showing why its parameters were refused (400), query kept in the box."""
    state = {"q": request.args.get("q", "")}
    return render_template(template, state=state, error=str(e), **context), 400
