"""Flask app factory (the full search page arrives with the web issue)."""

from __future__ import annotations

from flask import Flask, jsonify, request

from kb.config import Config
from kb.search import SearchRequest, Searcher


def create_app(cfg: Config, searcher: Searcher | None = None) -> Flask:
    app = Flask(__name__)
    app.config["KB_SEARCHER"] = searcher or Searcher(cfg)

    @app.get("/api/search")
    def api_search():
        req = SearchRequest.from_params(request.args.to_dict(flat=True))
        return jsonify(app.config["KB_SEARCHER"].search(req).to_dict())

    @app.get("/")
    def index():
        return "<p>kb 检索页面开发中；请使用 /api/search?q=首违不罚</p>"

    return app
