"""The stock tools: quote and day change (stock, industry, index), recent news, and a backtest of a strategy."""

from __future__ import annotations

import asyncio
from typing import Any

from services.chat.agents.stocks.backtest import STRATEGIES, run_backtest
from services.chat.agents.stocks.provider import MarketData, Move, Quote
from services.chat.agents.toolbox import Tool, ToolFailure, ToolResult, schema

CODE = {"type": "string", "description": "the stock code, e.g. 000001"}


def _code(args: dict[str, Any]) -> str:
    code = str(args.get("code") or args.get("stocks_code") or "").strip()
    if not code:
        raise ToolFailure("code must not be empty")
    return code


def no_data(provider: MarketData, code: str) -> str:
    """What a tool says for a code its provider has nothing on: never a made-up number."""
    return f"no market data for {code} from the {provider.name} provider; do not guess its price or change"


def move_line(label: str, move: Move | None) -> str:
    if move is None:
        return f"{label}: no data"
    return f"{label}: {move.name} ({move.code}) closed {move.close:g} on {move.date}, {move.change_pct:+.2f}%"


def quote_text(quote: Quote) -> str:
    return "\n".join(
        (
            move_line("stock", quote.stock),
            move_line("industry", quote.industry),
            move_line("index", quote.index),
        )
    )


def stock_tools(provider: MarketData, names: list[str]) -> list[Tool]:
    """The named stock tools over one provider."""

    async def quote(args: dict[str, Any]) -> ToolResult:
        code = _code(args)
        found = await provider.quote(code)
        if found is None:
            raise ToolFailure(no_data(provider, code))
        return ToolResult(quote_text(found))

    async def news(args: dict[str, Any]) -> ToolResult:
        code = _code(args)
        limit = max(1, min(int(args.get("limit") or 5), 20))
        items = await provider.news(code, limit=limit)
        if not items:
            return ToolResult(f"no news for {code} from the {provider.name} provider")
        return ToolResult("\n".join(f"- {n.date} {n.title}" + (f": {n.summary}" if n.summary else "") for n in items))

    async def backtest(args: dict[str, Any]) -> ToolResult:
        code = _code(args)
        strategy = str(args.get("strategy") or "sma_cross")
        if strategy not in STRATEGIES:
            raise ToolFailure(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
        bars = await provider.bars(code, start=str(args.get("start") or ""), end=str(args.get("end") or ""))
        if not bars:
            raise ToolFailure(no_data(provider, code))
        try:
            result = await asyncio.to_thread(run_backtest, bars, strategy=strategy)
        except ValueError as error:
            raise ToolFailure(str(error)) from None
        sharpe = "n/a" if result.sharpe is None else f"{result.sharpe:.2f}"
        win = "n/a" if result.win_rate_pct is None else f"{result.win_rate_pct:.1f}%"
        return ToolResult(
            f"backtest of {strategy} on {code}, {result.start} to {result.end} ({result.bars} days): "
            f"return {result.return_pct:+.2f}% (buy and hold {result.buy_and_hold_pct:+.2f}%), "
            f"max drawdown {result.max_drawdown_pct:.2f}%, Sharpe {sharpe}, trades {result.trades}, win rate {win}"
        )

    available = {
        "stock_quote": Tool(
            name="stock_quote",
            description="The stock's latest close and day change, with its industry's and the index's day change.",
            parameters=schema({"code": CODE}, ["code"]),
            handler=quote,
        ),
        "stock_news": Tool(
            name="stock_news",
            description="Recent news about a stock, newest first.",
            parameters=schema({"code": CODE, "limit": {"type": "integer", "minimum": 1, "maximum": 20}}, ["code"]),
            handler=news,
        ),
        "stock_backtest": Tool(
            name="stock_backtest",
            description="Backtest a trading strategy on the stock's daily bars: return, max drawdown, Sharpe, trades. "
            + "; ".join(f"{k}: {v}" for k, v in STRATEGIES.items()),
            parameters=schema(
                {
                    "code": CODE,
                    "strategy": {"type": "string", "enum": list(STRATEGIES)},
                    "start": {"type": "string", "description": "first day, YYYY-MM-DD (optional)"},
                    "end": {"type": "string", "description": "last day, YYYY-MM-DD (optional)"},
                },
                ["code", "strategy"],
            ),
            handler=backtest,
        ),
    }
    return [available[name] for name in names if name in available]
