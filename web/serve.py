"""Serve the web app with waitress, a production WSGI server (not Flask's debug server)."""

from __future__ import annotations

from kb.config import Config


def serve(cfg: Config, host: str, port: int) -> int:
    from waitress import serve as waitress_serve

    from web.app import create_app

    app = create_app(cfg)
    print(f"kb 检索页面：http://{host}:{port}/  （Ctrl-C 停止）")
    waitress_serve(app, host=host, port=port, threads=cfg.server.threads, ident="kb")
    return 0
