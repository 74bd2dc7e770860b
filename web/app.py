"""Flask app factory: one Searcher (open indexes, shared by every request), pages and JSON twins.

Every HTML page has a JSON twin at a predictable URL (``/`` ↔ ``/api/search``,
``/report/<id>`` ↔ ``/api/report/<id>``, ``/similar/<pid>`` ↔ ``/api/similar/<pid>``), built
from the same request parsing and the same search call, so the page and the API never
disagree.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for

from kb.core.config import Config
from kb.search import Searcher
from web import auth, csrf, errors, hosts, templating
from web.views import (
    account,
    check,
    collections,
    compare,
    export,
    reports,
    search,
    similar,
    trends,
)

# No inline scripts or styles and nothing from another origin: the page must work on an
# isolated network and a hostile report text has nowhere to run.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(cfg: Config, searcher: Searcher | None = None) -> Flask:
    """Build the app for the indexes under ``cfg.data_dir`` (or around a given Searcher)."""
    app = Flask(__name__)
    app.config["KB_CFG"] = cfg
    app.config["KB_SEARCHER"] = searcher or Searcher(cfg)
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # The largest body kb needs is a reordered collection's item list; anything much bigger
    # is refused (413) before it is read, instead of being parsed and then found too long.
    app.config["MAX_CONTENT_LENGTH"] = cfg.server.max_body_kb * 1024

    hosts.register(app, cfg.server)  # first: a request for another site's name goes no further
    for module in (search, reports, similar, export, trends, compare, collections, account, check):
        app.register_blueprint(module.bp)
    errors.register(app)
    templating.register(app)
    csrf.register(app)
    auth.register(app)

    @app.get("/favicon.ico")
    def favicon():
        """Browsers ask for /favicon.ico whatever the page links: answer with the SVG icon."""
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app
