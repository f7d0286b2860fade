"""lbai /stock/info: the day's change of the stock, its industry and the index, the news, an analysis, and alerts.

The figures and the news come from the market-data provider and are written by this code, never by the model; the
model writes only the analysis of what it is given. A code without data answers so, with no model call at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chat.agents.stocks.provider import MarketData, Move, NewsItem, Quote
from services.chat.generation.upstream import UpstreamClients
from services.chat.models.registry import ModelRegistry
from services.kit.context import Principal
from services.kit.errors import InvalidArgument

ANALYST_PROMPT = (
    "你是一名证券分析师。只根据下面给出的行情数据和新闻,分析这只股票当日涨跌的可能原因,并给出结论与需要关注的风险。"
    "不要编造任何数字或新闻;数据不足时直接说明。使用 Markdown,以“### 新闻分析”开头。"
)


@dataclass(frozen=True)
class StockAnswer:
    answer: str
    model: str


def _pct(move: Move | None) -> str:
    return "无数据" if move is None else f"{move.change_pct:.2f}%"


def overview(name: str, quote: Quote) -> str:
    index_name = quote.index.name if quote.index else "上证指数"
    return (
        f"### 股票: {name}\n\n**涨跌数据概述:**\n"
        f"- **股票当日涨跌幅:** {_pct(quote.stock)}\n"
        f"- **行业当日涨跌幅:** {_pct(quote.industry)}\n"
        f"- **{index_name}当日涨跌幅:** {_pct(quote.index)}\n"
        f"- **收盘价({quote.stock.date}):** {quote.stock.close:g}"
    )


def alerts(quote: Quote, *, minimum: float | None, maximum: float | None) -> str:
    """The threshold alerts (0.05 = 5%) against the stock's day change."""
    change = quote.stock.change_pct
    lines = []
    if maximum is not None:
        hit = change >= maximum * 100
        lines.append(f"- 涨幅阈值 {maximum * 100:.2f}%: {'已触发' if hit else '未触发'}(当日 {change:.2f}%)")
    if minimum is not None:
        hit = change <= -minimum * 100
        lines.append(f"- 跌幅阈值 {minimum * 100:.2f}%: {'已触发' if hit else '未触发'}(当日 {change:.2f}%)")
    return "### 阈值提醒\n" + "\n".join(lines) if lines else ""


def news_block(news: list[NewsItem]) -> str:
    if not news:
        return "### 相关新闻\n暂无该股票的新闻数据。"
    return "### 相关新闻\n" + "\n".join(f"- {n.date} {n.title}" for n in news)


def _threshold(value: float | None, field: str) -> float | None:
    if value is not None and not 0 <= value <= 1:
        raise InvalidArgument(f"{field} must be a fraction between 0 and 1 (0.05 = 5%)", field=field)
    return value


async def stock_info(
    *,
    principal: Principal,
    market: MarketData,
    registry: ModelRegistry,
    upstream: UpstreamClients,
    code: str,
    name: str,
    minimum: float | None,
    maximum: float | None,
) -> StockAnswer:
    """The Markdown answer of /stock/info and the model that wrote its analysis ("" when none was needed)."""
    code = code.strip()
    if not code:
        raise InvalidArgument("stocks_code is required", field="stocks_code")
    minimum, maximum = _threshold(minimum, "minimum_value"), _threshold(maximum, "maximum_value")
    quote = await market.quote(code)
    if quote is None:
        label = f"{name}({code})" if name else code
        return StockAnswer(f"### 股票: {label}\n\n没有 {label} 的行情数据({market.name} 数据源),无法分析。", "")
    display = name or (quote.stock.name if quote.stock.name != code else code)
    news = await market.news(code, limit=5)
    facts = "\n\n".join((overview(display, quote), news_block(news)))
    model = await registry.resolve_llm(principal=principal, model_name="")
    details = "\n".join(f"- {n.date} {n.title}: {n.summary}" for n in news)
    analysis = await upstream.complete(
        model,
        messages=[
            {"role": "system", "content": ANALYST_PROMPT},
            {"role": "user", "content": f"{facts}\n\n新闻详情:\n{details or '无'}"},
        ],
        params={},
    )
    parts = [facts, analysis.strip(), alerts(quote, minimum=minimum, maximum=maximum)]
    return StockAnswer("\n\n".join(p for p in parts if p), model.model_name)
