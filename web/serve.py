"""Serve the web app with waitress, a production WSGI server (not Flask's debug server)."""

from __future__ import annotations

import dataclasses
import time

from kb.core.config import Config


def serve(cfg: Config, host: str, port: int, searcher=None) -> int:
    """Serve until stopped; ``searcher`` is an open Searcher to serve (default: one on cfg)."""
    # The host and port actually served are the ones the Host check allows (web.hosts).
    cfg = dataclasses.replace(cfg, server=dataclasses.replace(cfg.server, host=host, port=port))
    from waitress import serve as waitress_serve

    from kb.search import Searcher, SearchRequest
    from web.app import create_app
    from web.limits import server_body_limit

    searcher = searcher or Searcher(cfg, warm=True)
    # Load the embedder and jieba's dictionary now, so the first user doesn't wait for them.
    t0 = time.perf_counter()
    searcher.search(SearchRequest(query="法治政府建设", limit=1))
    print(
        f"索引已加载（{len(searcher.bundle.rows)} 个段落，预热 {time.perf_counter() - t0:.1f} 秒）"
    )
    if searcher.index_behind:
        from kb.search.searcher import INDEX_BEHIND

        print(f"注意：{INDEX_BEHIND}")
    app = create_app(cfg, searcher)
    if host in ("0.0.0.0", "::") and not cfg.server.allowed_hosts:
        print(
            "注意：服务监听所有网络地址，但只接受 127.0.0.1/localhost 作为主机名；"
            "请在配置 [server] allowed_hosts 中写上用户访问本站所用的名称或地址。"
        )
    print(f"kb 检索页面：http://{host}:{port}/  （Ctrl-C 停止）")
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=cfg.server.threads,
        ident="kb",
        # waitress buffers a whole body before the app sees it: refuse a huge one up front
        # (the draft check takes an upload; the app refuses more than max_body_kb elsewhere).
        max_request_body_size=server_body_limit(cfg.server.max_body_kb),
    )
    return 0
