"""Accounts of the access model (``[access] mode = "accounts"``): users and their sign-ins.

Kept in ``<data_dir>/users.sqlite``, created readable by its owner only. A password is never
stored: only its scrypt hash (``hashlib.scrypt``, a memory-hard KDF from the standard
library) with a random salt and the cost parameters, so they can be raised later without
invalidating old hashes. A sign-in is a random token in the browser's cookie; the database
keeps only its SHA-256, so a copy of the file lets nobody sign in as anyone.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import time
import unicodedata
from datetime import datetime
from pathlib import Path

from kb.store.sqlite import Database, unwritable_path

FILE_NAME = "users.sqlite"
SCHEMA_VERSION = "1"
NAME_MAX = 32
PASSWORD_MIN, PASSWORD_MAX = 8, 1024
# scrypt cost: 2**15 × 8 × 128 bytes = 32 MiB and ~0.1 s per hash on the 2-core machine, so a
# guess costs an attacker the same; maxmem leaves room above the 32 MiB the hash needs.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created TEXT NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created TEXT NOT NULL,
    expires REAL NOT NULL
);
"""

_NAME = re.compile(r"[\w.@-]+")


class UserError(ValueError):
    """A request about accounts that cannot be honoured; the message says why (Chinese)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def default_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def validate_user_name(raw: object) -> str:
    """A user name: 1–32 letters (any script), digits, ``. _ - @``; compared without case."""
    if not isinstance(raw, str) or not raw.strip():
        raise UserError("请填写用户名", "name")
    name = unicodedata.normalize("NFKC", raw).strip()
    if len(name) > NAME_MAX or not _NAME.fullmatch(name):
        raise UserError(f"用户名只能由文字、数字和 . _ - @ 组成，不超过 {NAME_MAX} 个字符", "name")
    return name


def validate_password(raw: object) -> str:
    if not isinstance(raw, str) or len(raw) < PASSWORD_MIN:
        raise UserError(f"密码至少 {PASSWORD_MIN} 个字符", "password")
    if len(raw) > PASSWORD_MAX:
        raise UserError(f"密码不能超过 {PASSWORD_MAX} 个字符", "password")
    return raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of a password, with a new random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=SCRYPT_MAXMEM,
        dklen=32,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` hashes to ``stored`` (compared in constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=SCRYPT_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so an unknown name takes as long as a
    wrong password and the timing does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


class UserStore:
    """Users and sign-ins; one instance serves every thread (see kb.store.sqlite)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not self.path.exists() and unwritable_path(self.path) is None:
            # Created private before SQLite writes a byte (its -wal/-shm files copy the mode).
            # (In a read-only data dir the database reads as empty: nobody can sign in.)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.database = Database(self.path, _SCHEMA, SCHEMA_VERSION)

    def close(self) -> None:
        self.database.close()

    # -- users ---------------------------------------------------------------------------------

    def add(self, name: object, password: object) -> str:
        name = validate_user_name(name)
        hashed = hash_password(validate_password(password))
        now = _now()
        try:
            with self.database.write() as db:
                db.execute("INSERT INTO users VALUES (?, ?, ?, ?)", (name, hashed, now, now))
        except sqlite3.IntegrityError:
            raise UserError(f"用户 {name} 已存在", "name") from None
        return name

    def canonical(self, name: str) -> str | None:
        """The stored spelling of a user name (names are compared without case), or None."""
        with self.database.read() as db:
            row = db.execute("SELECT name FROM users WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_password(self, name: str, password: object) -> None:
        """A new password; every sign-in of the user ends with it."""
        hashed = hash_password(validate_password(password))
        with self.database.write() as db:
            row = db.execute("SELECT name FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise UserError(f"没有用户 {name}", "name")
            db.execute(
                "UPDATE users SET password_hash = ?, changed = ? WHERE name = ?",
                (hashed, _now(), row[0]),
            )
            db.execute("DELETE FROM sessions WHERE user = ?", (row[0],))

    def remove(self, name: str) -> None:
        with self.database.write() as db:
            if not db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
                raise UserError(f"没有用户 {name}", "name")

    def list_users(self) -> list[tuple[str, str]]:
        """(name, created) of every user, by name."""
        with self.database.read() as db:
            return [
                (r[0], r[1]) for r in db.execute("SELECT name, created FROM users ORDER BY name")
            ]

    def authenticate(self, name: object, password: object) -> str | None:
        """The user's name when the password is theirs, else None (same work either way)."""
        if not isinstance(name, str) or not isinstance(password, str):
            return None
        if len(password) > PASSWORD_MAX:
            return None
        with self.database.read() as db:
            row = db.execute(
                "SELECT name, password_hash FROM users WHERE name = ?",
                (unicodedata.normalize("NFKC", name).strip()[: NAME_MAX + 1],),
            ).fetchone()
        ok = verify_password(password, row[1] if row else _dummy_hash())
        return row[0] if row and ok else None

    # -- sign-ins ------------------------------------------------------------------------------

    def start_session(self, name: str, days: float) -> str:
        """A new sign-in for ``name``: the token for the cookie (only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.database.write() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (_token_hash(token), name, _now(), now + days * 86400),
            )
        return token

    def session_user(self, token: str) -> str | None:
        """Who a cookie's token signs in, or None (unknown, ended or expired)."""
        if not token or len(token) > 100:
            return None
        with self.database.read() as db:
            row = db.execute(
                "SELECT user FROM sessions WHERE token_hash = ? AND expires > ?",
                (_token_hash(token), time.time()),
            ).fetchone()
        return row[0] if row else None

    def end_session(self, token: str) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))
