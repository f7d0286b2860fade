"""Fills the local market dataset from CSV files: `python -m services.chat.agents.stocks.dataset --bars bars.csv`.

CSV headers: stocks `code,name,industry,industry_code,index_code,index_name`; bars `code,date,open,high,low,close,
volume`; news `code,date,title,summary,source`. Rows replace rows with the same key, so a daily export can be loaded
again and again; a bad row (named by file and line) loads nothing of the call. The admin route
`POST /admin/v1/stock-dataset` loads the same CSV through chat's AgentService.LoadStockData. The file is
MESH_CHAT_STOCK_DATASET (default <MESH_DATA_DIR>/chat-stocks.db); the chat service reads it on every call, so
loaded data is used at once, without a restart.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
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
REQUIRED = {"stocks": ("code",), "daily_bars": COLUMNS["daily_bars"][:6], "news": ("code", "date", "title")}
NUMERIC = {"open", "high", "low", "close", "volume"}
# What callers name each table (the CLI options, the admin route's fields, LoadStockData's fields).
INPUT_NAMES = {"stocks": "stocks", "daily_bars": "bars", "news": "news"}
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")  # 2024-05-06, 20240506, or a timestamp starting so


class DatasetError(ValueError):
    """Input that cannot be loaded; `field` is the input at fault (stocks, bars or news), the message says where."""

    def __init__(self, table: str, message: str) -> None:
        self.field = INPUT_NAMES.get(table, table)
        super().__init__(f"{self.field}: {message}")


def _number(table: str, line: int, column: str, value: object) -> float:
    if value in (None, ""):
        if column != "volume":
            raise DatasetError(table, f"line {line}: {column} is empty")
        return 0.0
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DatasetError(table, f"line {line}: {column} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise DatasetError(table, f"line {line}: {column} is not a finite number")
    return number


def _row(table: str, line: int, item: Mapping[str, object]) -> tuple[object, ...]:
    out: list[object] = []
    for column in COLUMNS[table]:
        value = item.get(column)
        if column in NUMERIC:
            out.append(_number(table, line, column, value))
        elif column == "date":
            found = _DATE.match(str(value or "").strip())
            if not found:
                raise DatasetError(table, f"line {line}: date must be YYYY-MM-DD, not {str(value)[:40]!r}")
            out.append("-".join(found.groups()))  # the provider orders days by this text
        else:
            out.append(str(value or "").strip())
    if not out[0]:
        raise DatasetError(table, f"line {line}: a row without a code")
    return tuple(out)


def parse_csv(table: str, text: str) -> list[dict[str, str]]:
    """The rows of one CSV text (a leading BOM is dropped); a header without the required columns is refused."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [column for column in REQUIRED[table] if column not in header]
    if missing:
        expected = ",".join(COLUMNS[table])
        raise DatasetError(table, f"the header lacks {', '.join(missing)} (expected {expected})")
    try:
        return list(reader)
    except csv.Error as error:
        raise DatasetError(table, f"line {reader.line_num}: {error}") from None


def load(path: Path, **tables: Iterable[Mapping[str, object]]) -> dict[str, int]:
    """Upsert rows into the dataset (tables: stocks, daily_bars, news) in one transaction: all of them or none.

    Returns how many rows each table got; DatasetError names the table and line of the first bad row.
    """
    unknown = [table for table in tables if table not in COLUMNS]
    if unknown:
        raise DatasetError(unknown[0], f"unknown table {unknown[0]!r}")
    # Every row is checked before the file is touched (line 1 is the header).
    prepared = {table: [_row(table, n, row) for n, row in enumerate(rows, start=2)] for table, rows in tables.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        for table, values in prepared.items():
            marks = ", ".join("?" for _ in COLUMNS[table])
            db.executemany(f"INSERT OR REPLACE INTO {table} ({', '.join(COLUMNS[table])}) VALUES ({marks})", values)
    return {table: len(values) for table, values in prepared.items()}


def load_csv(path: Path, texts: Mapping[str, str]) -> dict[str, int]:
    """Parse and load CSV texts keyed by table; empty texts load nothing (blocking: call it in a thread)."""
    tables = {table: parse_csv(table, text) for table, text in texts.items() if text.strip()}
    return load(path, **tables)


def main(argv: list[str] | None = None) -> int:
    from services.chat.agents.settings import AgentSettings

    parser = argparse.ArgumentParser(description="Load daily bars, stocks and news into the local market dataset.")
    parser.add_argument("--db", type=Path, default=None, help="dataset file (default: MESH_CHAT_STOCK_DATASET)")
    parser.add_argument("--stocks", type=Path, help="CSV: code,name,industry,industry_code,index_code,index_name")
    parser.add_argument("--bars", type=Path, help="CSV: code,date,open,high,low,close,volume")
    parser.add_argument("--news", type=Path, help="CSV: code,date,title,summary,source")
    args = parser.parse_args(argv)
    target = args.db or AgentSettings().stock_dataset_path()
    sources = {"stocks": args.stocks, "daily_bars": args.bars, "news": args.news}
    if not any(sources.values()):
        parser.error("give at least one of --stocks, --bars, --news")
    try:
        texts = {table: source.read_text(encoding="utf-8") for table, source in sources.items() if source}
        counts = load_csv(target, texts)
    except (ValueError, OSError, sqlite3.Error) as error:
        sys.stderr.write(f"not loaded: {error}\n")
        return 1
    sys.stdout.write(f"{target}: " + ", ".join(f"{n} {t}" for t, n in counts.items()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
