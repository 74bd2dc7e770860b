"""What every view works with: the app's configuration, its Searcher, collections and accounts.

The app factory puts them in ``app.config``/``app.extensions``; views ask here instead of
reaching into one another.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from kb.core.config import Config
from kb.search import Searcher
from kb.store.collections import CollectionStore, default_path
from kb.store.users import UserStore


def config() -> Config:
    return current_app.config["KB_CFG"]


def searcher() -> Searcher:
    return current_app.config["KB_SEARCHER"]


def collections_path() -> Path:
    """``KB_COLLECTIONS`` in the app config (tests), else ``<data_dir>/collections.sqlite``."""
    return Path(current_app.config.get("KB_COLLECTIONS") or default_path(config().data_path))


def collections() -> CollectionStore:
    """The app's collection store, created (with its file) on first use."""
    stores = current_app.extensions.setdefault("kb_collections", {})
    path = str(collections_path())
    if path not in stores:
        stores[path] = CollectionStore(path)
    return stores[path]


def users() -> UserStore:
    """The accounts (``KB_USERS`` in the app config for tests, else ``<data_dir>/users.sqlite``),
    opened on first use — only ever when ``[access] mode = "accounts"``."""
    path = str(current_app.config.get("KB_USERS") or config().users_path)
    stores = current_app.extensions.setdefault("kb_users", {})
    if path not in stores:
        stores[path] = UserStore(path)
    return stores[path]
