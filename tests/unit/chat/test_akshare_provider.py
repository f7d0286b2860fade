"""The akshare provider without the network: akshare's calls answer fixed DataFrames shaped as akshare's."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from services.chat.agents.stocks import akshare_provider
from services.chat.agents.stocks.akshare_provider import AkshareProvider
from services.kit.errors import FailedPrecondition

# Frames shaped as akshare's documentation gives these functions' answers (Eastmoney's column names and value types);
# the values are made up for the test.
HIST = pd.DataFrame(
    {
        "日期": ["2024-05-06", "2024-05-07"],
        "股票代码": ["600000", "600000"],
        "开盘": [7.05, 7.10],
        "收盘": [7.10, 7.24],
        "最高": [7.12, 7.30],
        "最低": [7.01, 7.08],
        "成交量": [412345, 523456],
        "成交额": [2.9e8, 3.8e8],
        "振幅": [1.56, 3.10],
        "涨跌幅": [0.71, 1.97],
        "涨跌额": [0.05, 0.14],
        "换手率": [0.14, 0.18],
    }
)
INFO = pd.DataFrame(
    {
        "item": ["股票代码", "股票简称", "总股本", "行业", "上市时间"],
        "value": ["600000", "浦发银行", 29352178996.0, "银行", 19991110],
    }
)
BOARD = pd.DataFrame(
    {
        "日期": ["2024-05-06", "2024-05-07"],
        "开盘": [3010.0, 3020.0],
        "收盘": [3000.0, 2970.0],
        "最高": [3030.0, 3025.0],
        "最低": [2990.0, 2960.0],
        "涨跌幅": [-0.3, -1.0],
        "涨跌额": [-9.0, -30.0],
        "成交量": [1.2e7, 1.3e7],
        "成交额": [1e10, 1.1e10],
        "振幅": [1.3, 2.1],
        "换手率": [0.5, 0.6],
    }
)
INDEX = pd.DataFrame(
    {
        "date": pd.to_datetime(["2024-05-06", "2024-05-07"]),
        "open": [3100.0, 3150.0],
        "high": [3160.0, 3170.0],
        "low": [3090.0, 3140.0],
        "close": [3150.0, 3165.75],
        "volume": [4.1e10, 4.2e10],
    }
)
NEWS = pd.DataFrame(
    {
        "关键词": ["600000", "600000"],
        "新闻标题": ["浦发银行发布年报", "浦发银行新设网点"],
        "新闻内容": ["年报" * 400, "网点"],
        "发布时间": ["2024-04-30 18:01:02", "2024-05-07 09:30:00"],
        "文章来源": ["证券时报", "新华网"],
        "新闻链接": ["http://a", "http://b"],
    }
)


def recorded(**frames: Callable[..., Any]) -> tuple[SimpleNamespace, list[tuple[str, dict[str, Any]]]]:
    """A stand-in for the akshare module whose functions answer recorded frames and note how they were called."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def answering(name: str, answer: Callable[..., Any]) -> Callable[..., Any]:
        def call(**kwargs: Any) -> Any:
            calls.append((name, kwargs))
            return answer(**kwargs)

        return call

    return SimpleNamespace(**{name: answering(name, answer) for name, answer in frames.items()}), calls


def unknown_code(**kwargs: Any) -> Any:
    raise KeyError("data")  # what akshare raises when Eastmoney has nothing for a code


@pytest.fixture
def market(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    module, calls = recorded(
        stock_zh_a_hist=lambda **kw: HIST if kw["symbol"] == "600000" else unknown_code(),
        stock_individual_info_em=lambda **kw: INFO,
        stock_board_industry_hist_em=lambda **kw: BOARD,
        stock_zh_index_daily=lambda **kw: INDEX,
        stock_news_em=lambda **kw: NEWS if kw["symbol"] == "600000" else pd.DataFrame(),
    )
    monkeypatch.setattr(akshare_provider, "_akshare", lambda: module)
    return calls


async def test_a_quote_reads_the_stock_its_industry_board_and_the_index(market: list[Any]) -> None:
    quote = await AkshareProvider().quote("600000")
    assert quote is not None
    assert (quote.stock.code, quote.stock.name, quote.stock.date, quote.stock.close) == (
        "600000",
        "浦发银行",
        "2024-05-07",
        7.24,
    )
    assert quote.stock.change_pct == 1.97
    assert quote.industry is not None and (quote.industry.name, quote.industry.change_pct) == ("银行", -1.0)
    assert quote.index is not None and (quote.index.code, quote.index.date, quote.index.change_pct) == (
        "sh000001",
        "2024-05-07",
        0.5,
    )
    asked = dict(market)
    assert asked["stock_zh_a_hist"]["adjust"] == "qfq" and asked["stock_zh_a_hist"]["period"] == "daily"
    assert asked["stock_board_industry_hist_em"]["symbol"] == "银行"


async def test_bars_and_news_are_parsed_from_their_columns(market: list[Any]) -> None:
    provider = AkshareProvider()
    bars = await provider.bars("600000", start="2024-05-01", end="2024-05-31")
    assert [(b.date, b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
        ("2024-05-06", 7.05, 7.12, 7.01, 7.10, 412345.0),
        ("2024-05-07", 7.10, 7.30, 7.08, 7.24, 523456.0),
    ]
    assert market[-1] == (
        "stock_zh_a_hist",
        {"symbol": "600000", "period": "daily", "start_date": "20240501", "end_date": "20240531", "adjust": "qfq"},
    )
    news = await provider.news("600000", limit=5)
    assert [(n.date, n.title, n.source) for n in news] == [
        ("2024-05-07", "浦发银行新设网点", "新华网"),
        ("2024-04-30", "浦发银行发布年报", "证券时报"),
    ]
    assert len(news[1].summary) == 500  # long articles are cut for the model


async def test_a_code_akshare_does_not_know_has_no_data(market: list[Any]) -> None:
    provider = AkshareProvider()
    assert await provider.quote("999999") is None
    assert await provider.bars("999999") == []
    assert await provider.news("999999") == []


async def test_without_the_extra_the_provider_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "akshare", None)  # an import of akshare fails as when it is not installed
    with pytest.raises(FailedPrecondition, match=r"meshconsole\[akshare\]") as refused:
        await AkshareProvider().quote("600000")
    assert refused.value.reason == "stock_provider_unavailable"


def test_the_installed_akshare_takes_the_arguments_the_provider_sends() -> None:
    """Only when the extra is installed: the functions still exist and accept our keywords (no network)."""
    akshare = pytest.importorskip("akshare")
    sent = {
        "stock_zh_a_hist": {"symbol", "period", "start_date", "end_date", "adjust"},
        "stock_individual_info_em": {"symbol"},
        "stock_board_industry_hist_em": {"symbol", "period", "adjust"},
        "stock_zh_index_daily": {"symbol"},
        "stock_news_em": {"symbol"},
    }
    for function, keywords in sent.items():
        accepted = set(inspect.signature(getattr(akshare, function)).parameters)
        assert keywords <= accepted, (function, keywords - accepted)
