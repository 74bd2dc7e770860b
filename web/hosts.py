"""Answer only to this server's own names: the Host header is checked before any view runs.

Without the check, DNS rebinding gets past the Origin check: a page on ``evil.example`` whose
name is then made to resolve to 127.0.0.1 talks to kb as a same-origin page (``Host`` and
``Origin`` both say ``evil.example``), and may create, rename or delete collections. A browser
always sends the name it resolved in ``Host``, so refusing names that are not ours closes it.

Allowed: the loopback names (127.0.0.1, localhost, ::1) on any port — a browser that sends
them really did connect to this machine — the configured ``[server] host`` with the
configured port, and every entry of ``[server] allowed_hosts`` (comma-separated; ``name``
matches any port, ``name:port`` only that port, ``*`` turns the check off for a proxy that
checks Host itself). A request without any Host header (an HTTP/1.0 tool; browsers always
send one) is let through.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request

from kb.core.config import ServerConfig
from web.errors import ApiError

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "*"})


def split_host(value: str) -> tuple[str, int | None]:
    """``name[:port]`` (IPv6 in brackets) → (lower-case name without a trailing dot, port).
    A port that is not a number gives port -1, which matches nothing."""
    value = value.strip().lower()
    name, port = value, ""
    if value.startswith("["):
        end = value.find("]")
        name, rest = (value[1:end], value[end + 1 :]) if end > 0 else (value, "")
        port = rest[1:] if rest.startswith(":") else ("x" if rest else "")
    elif value.count(":") == 1:
        name, port = value.split(":")
    if not port:
        return name.rstrip("."), None
    return name.rstrip("."), int(port) if port.isdigit() and len(port) <= 5 else -1


@dataclass(frozen=True)
class HostRule:
    """The names a server answers to (see the module docstring)."""

    exact: frozenset[tuple[str, int]]  # name and port
    any_port: frozenset[str]
    everything: bool = False

    @classmethod
    def from_config(cls, server: ServerConfig) -> HostRule:
        exact: set[tuple[str, int]] = set()
        any_port = set(LOOPBACK)
        everything = False
        name, _ = split_host(server.host)
        if name not in WILDCARD_BINDS:
            exact.add((name, int(server.port)))
        for entry in str(server.allowed_hosts).split(","):
            entry = entry.strip()
            if entry == "*":
                everything = True
            elif entry:
                name, port = split_host(entry)
                if port is None:
                    any_port.add(name)
                else:
                    exact.add((name, port))
        return cls(frozenset(exact), frozenset(any_port), everything)

    def allows(self, host: str, default_port: int) -> bool:
        if self.everything:
            return True
        name, port = split_host(host)
        if name in self.any_port:
            return True
        return (name, default_port if port is None else port) in self.exact


def register(app: Flask, server: ServerConfig) -> None:
    rule = HostRule.from_config(server)

    @app.before_request
    def check_host() -> None:
        default_port = 443 if request.scheme == "https" else 80
        host = request.headers.get("Host")
        # No Host at all is an HTTP/1.0 tool, not a browser (browsers always send it).
        if host is not None and not rule.allows(host, default_port):
            shown = host if len(host) <= 80 else host[:80] + "…"
            raise ApiError(
                400,
                f"本站不接受以“{shown}”为主机名的请求。如果这是本站的地址，"
                "请管理员把它加入配置 [server] allowed_hosts（或环境变量 KB_SERVER_ALLOWED_HOSTS）。",
                "Host",
            )
