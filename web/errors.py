"""Error responses: JSON for ``/api/*`` (message, status, the parameter at fault), a page otherwise.

No traceback ever reaches a user: unknown ids are 404, bad parameters 400, a missing index
503 with what to run, anything unexpected a plain 500 (logged for the operator).
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.bundle import EmbedderMismatch, IndexMissing
from kb.search import FilterError, RequestError
from kb.store.collections import CollectionError
from kb.store.collections_schema import UpgradeError
from kb.store.sqlite import NotWritable


class ApiError(Exception):
    """An error with a status and a Chinese message, raised by views."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def not_found(what: str) -> ApiError:
    return ApiError(404, f"找不到{what}")


def _respond(status: int, message: str, field: str | None = None):
    if request.path.startswith("/api/"):
        body: dict = {"error": {"status": status, "message": message}}
        if field:
            body["error"]["field"] = field
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(e: ApiError):
        return _respond(e.status, e.message, e.field)

    @app.errorhandler(CollectionError)
    def collection_error(e: CollectionError):
        return _respond(e.status, e.message, e.field)

    @app.errorhandler(RequestError)
    @app.errorhandler(FilterError)
    def bad_param(e: RequestError | FilterError):
        return _respond(400, str(e), e.field)

    @app.errorhandler(UpgradeError)
    def cannot_upgrade(e: UpgradeError):
        app.logger.error("%s", e)  # the path, for the operator's log
        return _respond(
            503,
            "案例集数据需要升级一次，但服务器的数据目录是只读的；检索和阅读不受影响，请联系管理员",
        )

    @app.errorhandler(IndexMissing)
    @app.errorhandler(EmbedderMismatch)
    def no_index(e: Exception):
        return _respond(503, f"索引不可用：{e}")

    @app.errorhandler(NotWritable)
    def read_only(e: NotWritable):
        # The path is for the operator's log, not for visitors.
        app.logger.warning("write refused: %s", e)
        return _respond(503, "服务器的数据目录是只读的，无法保存更改；检索和阅读不受影响")

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        messages = {404: "页面不存在", 405: "不支持该请求方法"}
        if e.code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            return _respond(413, f"请求内容过大（上限 {limit // 1024} KB），已拒绝")
        return _respond(e.code or 500, messages.get(e.code or 0, e.name))

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return _respond(500, "服务器内部错误，请稍后再试")
