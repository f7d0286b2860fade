"""The market-data provider interface and the local dataset provider (SQLite of daily bars and news).

The dataset has three tables: `stocks` (code, name, industry, industry_code, index_code, index_name), `daily_bars`
(code, date, open, high, low, close, volume) and `news` (code, date, title, summary, source). Industries and
indices are codes with daily bars like any stock, so a day's change is computed the same way for all three.
Nothing is ever made up: a code without bars has no quote.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

DEFAULT_INDEX = ("sh000001", "上证指数")
SCHEMA = """
CREATE TABLE IF NOT EXISTS stocks (
  code TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', industry TEXT NOT NULL DEFAULT '',
  industry_code TEXT NOT NULL DEFAULT '', index_code TEXT NOT NULL DEFAULT '', index_name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS daily_bars (
  code TEXT NOT NULL, date TEXT NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL,
  close REAL NOT NULL, volume REAL NOT NULL DEFAULT 0, PRIMARY KEY (code, date)
);
CREATE TABLE IF NOT EXISTS news (
  code TEXT NOT NULL, date TEXT NOT NULL, title TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '', PRIMARY KEY (code, date, title)
);
"""


@dataclass(frozen=True)
class Bar:
    date: str  # YYYY-MM-DD
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0


@dataclass(frozen=True)
class Move:
    """One instrument's latest day: its close and the change from the day before (percent)."""

    code: str
    name: str
    date: str
    close: float
    change_pct: float


@dataclass(frozen=True)
class Quote:
    """The stock's day, with its industry's and the index's day when the provider knows them."""

    stock: Move
    industry: Move | None
    index: Move | None


@dataclass(frozen=True)
class NewsItem:
    date: str
    title: str
    summary: str = ""
    source: str = ""


class MarketData(Protocol):
    """Where stock tools read from; every method answers None or [] for a code it has no data for."""

    name: str

    async def quote(self, code: str) -> Quote | None: ...

    async def bars(self, code: str, *, start: str = "", end: str = "") -> list[Bar]: ...

    async def news(self, code: str, *, limit: int = 5) -> list[NewsItem]: ...


def change(bars: list[Bar], *, code: str, name: str) -> Move | None:
    """The last day's move, from the last two bars (one bar: its own open)."""
    if not bars:
        return None
    last = bars[-1]
    before = bars[-2].close if len(bars) > 1 else last.open
    pct = (last.close - before) / before * 100 if before else 0.0
    return Move(code=code, name=name, date=last.date, close=last.close, change_pct=round(pct, 2))


class LocalDataset:
    """Reads the operator's SQLite dataset; opened per call, read-only, so a reload is seen at once."""

    name = "local"

    def __init__(self, path: Path) -> None:
        self.path = path

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        if not self.path.exists():
            return []
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
            try:
                return list(db.execute(sql, params))
            except sqlite3.OperationalError:  # an empty or foreign file: no data, not a crash
                return []

    async def _rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        return await asyncio.to_thread(self._query, sql, params)

    async def bars(self, code: str, *, start: str = "", end: str = "") -> list[Bar]:
        rows = await self._rows(
            "SELECT date, open, high, low, close, volume FROM daily_bars WHERE code = ? AND date >= ? AND date <= ?"
            " ORDER BY date",
            code,
            start or "0000",
            end or "9999",
        )
        return [Bar(str(r[0]), *(float(v) for v in r[1:])) for r in rows]  # type: ignore[arg-type]

    async def _last_two(self, code: str) -> list[Bar]:
        rows = await self._rows(
            "SELECT date, open, high, low, close, volume FROM daily_bars WHERE code = ? ORDER BY date DESC LIMIT 2",
            code,
        )
        return [Bar(str(r[0]), *(float(v) for v in r[1:])) for r in reversed(rows)]  # type: ignore[arg-type]

    async def quote(self, code: str) -> Quote | None:
        info = await self._rows(
            "SELECT name, industry, industry_code, index_code, index_name FROM stocks WHERE code = ?", code
        )
        name, industry, industry_code, index_code, index_name = (str(v) for v in info[0]) if info else ("",) * 5
        stock = change(await self._last_two(code), code=code, name=name or code)
        if stock is None:
            return None
        industry_move = change(await self._last_two(industry_code), code=industry_code, name=industry or industry_code)
        index_code, index_name = (index_code, index_name or index_code) if index_code else DEFAULT_INDEX
        index_move = change(await self._last_two(index_code), code=index_code, name=index_name)
        return Quote(stock=stock, industry=industry_move if industry_code else None, index=index_move)

    async def news(self, code: str, *, limit: int = 5) -> list[NewsItem]:
        rows = await self._rows(
            "SELECT date, title, summary, source FROM news WHERE code = ? ORDER BY date DESC LIMIT ?", code, limit
        )
        return [NewsItem(*(str(v) for v in r)) for r in rows]
