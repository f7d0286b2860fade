"""Fills the local market dataset from CSV files: `python -m services.chat.agents.stocks.dataset --bars bars.csv`.

CSV headers: stocks `code,name,industry,industry_code,index_code,index_name`; bars `code,date,open,high,low,close,
volume`; news `code,date,title,summary,source`. Rows replace rows with the same key, so a daily export can be loaded
again and again. The file is MESH_CHAT_STOCK_DATASET (default <MESH_DATA_DIR>/chat-stocks.db); the chat service
reads it on every call, so loaded data is used at once, without a restart.
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from services.chat.agents.stocks.provider import SCHEMA

COLUMNS = {
    "stocks": ("code", "name", "industry", "industry_code", "index_code", "index_name"),
    "daily_bars": ("code", "date", "open", "high", "low", "close", "volume"),
    "news": ("code", "date", "title", "summary", "source"),
}
NUMERIC = {"open", "high", "low", "close", "volume"}


def _row(table: str, item: Mapping[str, object]) -> tuple[object, ...]:
    out: list[object] = []
    for column in COLUMNS[table]:
        value = item.get(column)
        if column in NUMERIC:
            out.append(float(value) if value not in (None, "") else 0.0)  # type: ignore[arg-type]
        else:
            out.append(str(value or "").strip())
    if not out[0]:
        raise ValueError(f"{table}: a row without a code")
    return tuple(out)


def load(path: Path, **tables: Iterable[Mapping[str, object]]) -> dict[str, int]:
    """Upsert rows into the dataset (tables: stocks, daily_bars, news); returns how many rows each got."""
    path.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        for table, rows in tables.items():
            if table not in COLUMNS:
                raise ValueError(f"unknown table {table!r}")
            values = [_row(table, row) for row in rows]
            marks = ", ".join("?" for _ in COLUMNS[table])
            db.executemany(f"INSERT OR REPLACE INTO {table} ({', '.join(COLUMNS[table])}) VALUES ({marks})", values)
            counts[table] = len(values)
    return counts


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def main(argv: list[str] | None = None) -> int:
    from services.chat.agents.settings import AgentSettings

    parser = argparse.ArgumentParser(description="Load daily bars, stocks and news into the local market dataset.")
    parser.add_argument("--db", type=Path, default=None, help="dataset file (default: MESH_CHAT_STOCK_DATASET)")
    parser.add_argument("--stocks", type=Path, help="CSV: code,name,industry,industry_code,index_code,index_name")
    parser.add_argument("--bars", type=Path, help="CSV: code,date,open,high,low,close,volume")
    parser.add_argument("--news", type=Path, help="CSV: code,date,title,summary,source")
    args = parser.parse_args(argv)
    target = args.db or AgentSettings().stock_dataset_path()
    tables = {
        table: _read_csv(source)
        for table, source in (("stocks", args.stocks), ("daily_bars", args.bars), ("news", args.news))
        if source is not None
    }
    if not tables:
        parser.error("give at least one of --stocks, --bars, --news")
    try:
        counts = load(target, **tables)
    except (ValueError, sqlite3.Error) as error:
        sys.stderr.write(f"not loaded: {error}\n")
        return 1
    sys.stdout.write(f"{target}: " + ", ".join(f"{n} {t}" for t, n in counts.items()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
