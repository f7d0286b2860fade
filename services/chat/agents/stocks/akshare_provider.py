"""The akshare provider (A-shares) for production: daily bars, the stock's industry board and the index, news.

akshare is an optional extra (`pip install meshconsole[akshare]`) and is imported on first use, never at start.
Its calls are blocking HTTP requests to public data sites, so each runs in a thread. A code akshare knows nothing
about answers no data, like the local dataset.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from services.chat.agents.stocks.provider import DEFAULT_INDEX, Bar, Move, NewsItem, Quote, change
from services.kit.errors import FailedPrecondition

LOOKBACK_DAYS = 10


def _akshare() -> Any:
    try:
        import akshare  # type: ignore[import-not-found]
    except ImportError:
        raise FailedPrecondition(
            "the akshare stock provider needs the akshare extra: pip install 'meshconsole[akshare]'",
            reason="stock_provider_unavailable",
        ) from None
    return akshare


def _day(value: str) -> str:
    return value.replace("-", "")


def _bars(frame: Any, *, date: str, columns: tuple[str, str, str, str, str, str]) -> list[Bar]:
    """Rows of an akshare frame as bars; the column names differ per akshare call."""
    if frame is None or getattr(frame, "empty", True):
        return []
    d, o, h, lo, c, v = columns
    return [
        Bar(str(row[d])[:10], float(row[o]), float(row[h]), float(row[lo]), float(row[c]), float(row[v] or 0))
        for _, row in frame.iterrows()
    ]


class AkshareProvider:
    """Eastmoney data through akshare: `stock_zh_a_hist`, `stock_individual_info_em`, boards, `stock_news_em`."""

    name = "akshare"

    def __init__(self, *, timeout_s: float = 20.0) -> None:
        self.timeout_s = timeout_s

    async def _call(self, function: str, **kwargs: Any) -> Any:
        module = _akshare()
        try:
            async with asyncio.timeout(self.timeout_s):
                return await asyncio.to_thread(getattr(module, function), **kwargs)
        except (KeyError, ValueError, TypeError):  # akshare raises these for codes it does not know
            return None

    async def bars(self, code: str, *, start: str = "", end: str = "") -> list[Bar]:
        frame = await self._call(
            "stock_zh_a_hist",
            symbol=code,
            period="daily",
            start_date=_day(start) or "19900101",
            end_date=_day(end) or "20991231",
            adjust="qfq",
        )
        return _bars(frame, date="日期", columns=("日期", "开盘", "最高", "最低", "收盘", "成交量"))

    async def _recent(self, code: str) -> list[Bar]:
        start = (dt.date.today() - dt.timedelta(days=LOOKBACK_DAYS)).isoformat()
        return (await self.bars(code, start=start))[-2:]

    async def quote(self, code: str) -> Quote | None:
        stock = change(await self._recent(code), code=code, name=code)
        if stock is None:
            return None
        info = await self._call("stock_individual_info_em", symbol=code)
        fields = {str(r["item"]): str(r["value"]) for _, r in info.iterrows()} if info is not None else {}
        name = fields.get("股票简称", code)
        industry = fields.get("行业", "")
        industry_move = None
        if industry:
            frame = await self._call("stock_board_industry_hist_em", symbol=industry, period="日k", adjust="")
            bars = _bars(frame, date="日期", columns=("日期", "开盘", "最高", "最低", "收盘", "成交量"))[-2:]
            industry_move = change(bars, code=industry, name=industry)
        index_frame = await self._call("stock_zh_index_daily", symbol=DEFAULT_INDEX[0])
        index_bars = _bars(index_frame, date="date", columns=("date", "open", "high", "low", "close", "volume"))[-2:]
        return Quote(
            stock=Move(code, name, stock.date, stock.close, stock.change_pct),
            industry=industry_move,
            index=change(index_bars, code=DEFAULT_INDEX[0], name=DEFAULT_INDEX[1]),
        )

    async def news(self, code: str, *, limit: int = 5) -> list[NewsItem]:
        frame = await self._call("stock_news_em", symbol=code)
        if frame is None or getattr(frame, "empty", True):
            return []
        items = [
            NewsItem(
                str(r.get("发布时间", ""))[:10],
                str(r.get("新闻标题", "")),
                str(r.get("新闻内容", ""))[:500],
                str(r.get("文章来源", "")),
            )
            for _, r in frame.iterrows()
        ]
        return sorted(items, key=lambda n: n.date, reverse=True)[:limit]
