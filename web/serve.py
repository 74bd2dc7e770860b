"""Serve the web app with waitress, a production WSGI server (not Flask's debug server)."""

from __future__ import annotations

import time

from kb.core.config import Config


def serve(cfg: Config, host: str, port: int) -> int:
    from waitress import serve as waitress_serve

    from kb.search import Searcher, SearchRequest
    from web.app import create_app

    searcher = Searcher(cfg)
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
    print(f"kb 检索页面：http://{host}:{port}/  （Ctrl-C 停止）")
    waitress_serve(app, host=host, port=port, threads=cfg.server.threads, ident="kb")
    return 0
