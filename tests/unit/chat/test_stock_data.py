"""The local market dataset: the CSV loader (CLI and function), the provider reading it, and the backtest wrapper."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from services.chat.agents.stocks import dataset
from services.chat.agents.stocks.backtest import MIN_BARS, STRATEGIES, run_backtest
from services.chat.agents.stocks.provider import DEFAULT_INDEX, Bar, LocalDataset, change
from services.chat.agents.stocks.tools import stock_tools
from services.chat.agents.toolbox import ToolBox


def bars_of(code: str, closes: list[float], *, month: str = "2024-05") -> list[dict[str, object]]:
    return [
        {"code": code, "date": f"{month}-{day:02d}", "open": c, "high": c + 1, "low": c - 1, "close": c, "volume": 10}
        for day, c in enumerate(closes, start=1)
    ]


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def test_the_cli_loads_csv_files_and_a_reload_replaces_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "market.db"
    stocks = write_csv(
        tmp_path / "stocks.csv",
        "\ufeffcode,name,industry,industry_code,index_code,index_name",  # Excel's BOM is read away
        "600000,浦发银行,银行,BK0475,sh000001,上证指数",
    )
    bars = write_csv(
        tmp_path / "bars.csv",
        "code,date,open,high,low,close,volume",
        "600000,2024-05-06,10,10.5,9.8,10.2,1000",
        "600000,2024-05-07,10.2,10.6,10.1,10.5,",
    )
    news = write_csv(tmp_path / "news.csv", "code,date,title,summary,source", "600000,2024-05-07,Branches,12 new,wire")
    argv = ["--db", str(db), "--stocks", str(stocks), "--bars", str(bars), "--news", str(news)]
    assert dataset.main(argv) == 0
    assert capsys.readouterr().out.strip() == f"{db}: 1 stocks, 2 daily_bars, 1 news"
    again = write_csv(tmp_path / "fix.csv", "code,date,open,high,low,close,volume", "600000,2024-05-07,1,1,1,11,5")
    assert dataset.main(["--db", str(db), "--bars", str(again)]) == 0
    with sqlite3.connect(db) as con:
        rows = list(con.execute("SELECT date, close, volume FROM daily_bars ORDER BY date"))
    assert rows == [("2024-05-06", 10.2, 1000.0), ("2024-05-07", 11.0, 5.0)]


def test_the_cli_refuses_bad_input_without_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "market.db"
    with pytest.raises(SystemExit):
        dataset.main(["--db", str(db)])  # nothing to load
    assert "give at least one of --stocks, --bars, --news" in capsys.readouterr().err
    codeless = write_csv(tmp_path / "bars.csv", "code,date,open,high,low,close,volume", ",2024-05-06,1,1,1,1,1")
    assert dataset.main(["--db", str(db), "--bars", str(codeless)]) == 1
    assert capsys.readouterr().err == "not loaded: bars: line 2: a row without a code\n"
    wordy = write_csv(tmp_path / "w.csv", "code,date,open,high,low,close,volume", "600000,2024-05-06,ten,1,1,1,1")
    assert dataset.main(["--db", str(db), "--bars", str(wordy)]) == 1
    assert "bars: line 2: open is not a number: 'ten'" in capsys.readouterr().err
    assert not db.exists()  # every row is checked before the file is touched
    with pytest.raises(dataset.DatasetError, match="unknown table") as unknown:
        dataset.load(db, trades=[])
    assert unknown.value.field == "trades"


@pytest.mark.parametrize(
    ("table", "text", "field", "message"),
    [
        ("daily_bars", "code,date,close\n600000,2024-05-06,1", "bars", "the header lacks open, high, low"),
        ("news", "code,title\n600000,x", "news", "the header lacks date"),
        ("daily_bars", "code,date,open,high,low,close\n600000,May 6,1,1,1,1", "bars", "line 2: date must be"),
        ("daily_bars", "code,date,open,high,low,close\n600000,2024-05-06,1,1,1,", "bars", "line 2: close is empty"),
        ("daily_bars", "code,date,open,high,low,close\n6,2024-05-06,1,1,1,2\n6,2024-05-07,nan,1,1,1", "bars", "line 3"),
        ("stocks", "name\nx", "stocks", "the header lacks code"),
    ],
)
def test_csv_text_errors_name_the_input_and_the_line(
    tmp_path: Path, table: str, text: str, field: str, message: str
) -> None:
    with pytest.raises(dataset.DatasetError, match=message) as refused:
        dataset.load_csv(tmp_path / "market.db", {table: text})
    assert refused.value.field == field and str(refused.value).startswith(f"{field}: ")


def test_csv_text_loads_all_tables_or_none(tmp_path: Path) -> None:
    db = tmp_path / "market.db"
    good = {
        "stocks": "code,name\n600000,浦发银行\n",
        "daily_bars": "code,date,open,high,low,close\n600000,20240506,1,2,0.5,1.5\n",
    }
    assert dataset.load_csv(db, {**good, "news": ""}) == {"stocks": 1, "daily_bars": 1}
    with sqlite3.connect(db) as con:
        assert list(con.execute("SELECT date, volume FROM daily_bars")) == [("2024-05-06", 0.0)]
    bad = {"stocks": "code,name\n000001,平安银行\n", "news": "code,date,title\n000001,yesterday,x\n"}
    with pytest.raises(dataset.DatasetError, match="news: line 2"):
        dataset.load_csv(db, bad)
    with sqlite3.connect(db) as con:
        assert list(con.execute("SELECT code FROM stocks")) == [("600000",)]


async def test_the_local_provider_computes_the_days_move_of_stock_industry_and_index(tmp_path: Path) -> None:
    db = tmp_path / "market.db"
    stock = {"code": "600000", "name": "浦发银行", "industry": "银行", "industry_code": "BK0475"}
    dataset.load(
        db,
        stocks=[stock],
        daily_bars=bars_of("600000", [10.0, 10.0, 11.0]) + bars_of("BK0475", [100, 95]) + bars_of("sh000001", [50]),
        news=[{"code": "600000", "date": f"2024-05-0{d}", "title": f"item {d}"} for d in range(1, 4)],
    )
    market = LocalDataset(db)
    quote = await market.quote("600000")
    assert quote is not None
    assert (quote.stock.name, quote.stock.date, quote.stock.close, quote.stock.change_pct) == (
        "浦发银行",
        "2024-05-03",
        11.0,
        10.0,
    )
    assert quote.industry is not None and (quote.industry.name, quote.industry.change_pct) == ("银行", -5.0)
    # No index named: the default one; a single bar moves against its own open.
    assert quote.index is not None and (quote.index.code, quote.index.name) == DEFAULT_INDEX
    assert quote.index.change_pct == 0.0
    assert [n.title for n in await market.news("600000", limit=2)] == ["item 3", "item 2"]
    assert [b.date for b in await market.bars("600000", start="2024-05-02")] == ["2024-05-02", "2024-05-03"]
    assert await market.quote("000001") is None and await market.news("000001") == []


async def test_a_missing_or_foreign_file_has_no_data_rather_than_failing(tmp_path: Path) -> None:
    assert await LocalDataset(tmp_path / "absent.db").quote("600000") is None
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE other (x)")
    assert await LocalDataset(foreign).bars("600000") == []


def test_change_is_against_the_day_before() -> None:
    assert change([], code="x", name="x") is None
    move = change([Bar("d1", 1, 1, 1, 8.0), Bar("d2", 1, 1, 1, 10.0)], code="x", name="X")
    assert move is not None and move.change_pct == 25.0 and move.close == 10.0


async def test_stock_tools_never_invent_numbers_for_unknown_codes(tmp_path: Path) -> None:
    db = tmp_path / "market.db"
    dataset.load(db, daily_bars=bars_of("600000", [10.0, 10.5]))
    box = ToolBox(
        stock_tools(LocalDataset(db), ["stock_quote", "stock_news", "stock_backtest"]),
        timeout_s=30,
        max_output_chars=2000,
    )
    quoted = await box.call("stock_quote", '{"code": "600000"}')
    assert "stock: 600000 (600000) closed 10.5 on 2024-05-02, +5.00%" in quoted.text and not quoted.failed
    unknown = await box.call("stock_quote", '{"code": "999999"}')
    assert unknown.failed and unknown.text.startswith("error: no market data for 999999 from the local provider")
    assert (await box.call("stock_news", '{"code": "600000"}')).text == "no news for 600000 from the local provider"
    short = await box.call("stock_backtest", '{"code": "600000", "strategy": "rsi"}')
    assert short.failed and f"at least {MIN_BARS} daily bars" in short.text
    bad = await box.call("stock_backtest", '{"code": "600000", "strategy": "moon"}')
    assert bad.failed and "unknown strategy 'moon'" in bad.text


# --------------------------------------------------------------------------- the backtest wrapper
def trend(days: int, *, start: float = 10.0, step: float = 0.1, wave: float = 0.0) -> list[Bar]:
    out = []
    for day in range(days):
        close = start + day * step + (day % 10 - 5) * wave
        out.append(Bar(f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}", close, close * 1.01, close * 0.99, close, 100))
    return out


def test_buy_and_hold_earns_the_market_less_commission() -> None:
    bars = trend(60)
    result = run_backtest(bars, strategy="buy_and_hold", commission=0.0)
    assert result.trades == 1 and result.bars == 60 and (result.start, result.end) == (bars[0].date, bars[-1].date)
    # The library calls next() from the second bar on and fills an order at the following bar's open; the
    # position is closed at the last close (finalize_trades).
    expected = (bars[-1].close / bars[2].open - 1) * 100
    assert result.return_pct == pytest.approx(expected, abs=0.1)
    assert result.buy_and_hold_pct == pytest.approx((bars[-1].close / bars[0].close - 1) * 100, abs=0.01)
    assert result.max_drawdown_pct <= 0 and result.win_rate_pct == 100.0
    costly = run_backtest(bars, strategy="buy_and_hold", commission=0.01)
    assert costly.return_pct < result.return_pct


def test_every_strategy_runs_and_reports_finite_numbers() -> None:
    bars = trend(120, wave=0.4)
    for name in STRATEGIES:
        result = run_backtest(bars, strategy=name)
        assert result.strategy == name and result.trades >= 0
        assert result.sharpe is None or abs(result.sharpe) < 1e6
        assert (result.win_rate_pct is None) == (result.trades == 0)


def test_a_backtest_refuses_too_few_bars_and_unknown_strategies() -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_BARS}"):
        run_backtest(trend(MIN_BARS - 1), strategy="sma_cross")
    with pytest.raises(ValueError, match="unknown strategy"):
        run_backtest(trend(60), strategy="martingale")
