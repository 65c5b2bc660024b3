"""Results: the SQLite store (runs, items, response cache), the report document, and exports."""

from __future__ import annotations

from schedbench.results.store import ITEM_COLUMNS, CachedResponse, ItemRecord, Run, Store, decode_item

DEFAULT_DB = "results/schedbench.db"

__all__ = ["DEFAULT_DB", "ITEM_COLUMNS", "CachedResponse", "ItemRecord", "Run", "Store", "decode_item"]
