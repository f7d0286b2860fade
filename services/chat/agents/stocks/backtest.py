"""Backtests of named strategies on daily bars with the `backtesting` library: return, drawdown, Sharpe, trades."""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from typing import Any

from services.chat.agents.stocks.provider import Bar

STRATEGIES = {
    "sma_cross": "buy when the 5-day average crosses above the 20-day one, sell when it crosses below",
    "buy_and_hold": "buy on the first day and hold to the last",
    "rsi": "buy when the 14-day RSI falls below 30, sell when it rises above 70",
}
MIN_BARS = 25


@dataclass(frozen=True)
class BacktestResult:
    strategy: str
    start: str
    end: str
    bars: int
    return_pct: float
    buy_and_hold_pct: float
    max_drawdown_pct: float
    sharpe: float | None
    trades: int
    win_rate_pct: float | None


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else round(number, 2)


def _strategy(name: str) -> Any:
    """The library's Strategy class for a name (imported here: the library and pandas load on first use)."""
    import pandas as pd
    from backtesting import Strategy
    from backtesting.lib import crossover

    def sma(values: Any, n: int) -> Any:
        return pd.Series(values).rolling(n).mean()

    def rsi(values: Any, n: int) -> Any:
        delta = pd.Series(values).diff()
        gain = delta.clip(lower=0).rolling(n).mean()
        loss = (-delta.clip(upper=0)).rolling(n).mean()
        return 100 - 100 / (1 + gain / loss.replace(0, float("nan")))

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 5)
            self.slow = self.I(sma, self.data.Close, 20)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()

    class BuyAndHold(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            pass

        def next(self) -> None:
            if not self.position:
                self.buy()

    class Rsi(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.rsi = self.I(rsi, self.data.Close, 14)

        def next(self) -> None:
            if not self.position and self.rsi[-1] < 30:
                self.buy()
            elif self.position and self.rsi[-1] > 70:
                self.position.close()

    return {"sma_cross": SmaCross, "buy_and_hold": BuyAndHold, "rsi": Rsi}[name]


def run_backtest(
    bars: list[Bar], *, strategy: str, cash: float = 100_000.0, commission: float = 0.001
) -> BacktestResult:
    """Run a strategy over the bars (CPU work: call it in a thread)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if len(bars) < MIN_BARS:
        raise ValueError(f"a backtest needs at least {MIN_BARS} daily bars; the dataset has {len(bars)}")
    os.environ.setdefault("TQDM_DISABLE", "1")  # the library's progress bar would go to the service's stderr
    import pandas as pd
    from backtesting import Backtest

    frame = pd.DataFrame(
        {
            "Open": [b.open for b in bars],
            "High": [b.high for b in bars],
            "Low": [b.low for b in bars],
            "Close": [b.close for b in bars],
            "Volume": [b.volume for b in bars],
        },
        index=pd.to_datetime([b.date for b in bars]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(frame, _strategy(strategy), cash=cash, commission=commission, finalize_trades=True).run()
    trades = int(stats["# Trades"])
    return BacktestResult(
        strategy=strategy,
        start=bars[0].date,
        end=bars[-1].date,
        bars=len(bars),
        return_pct=_number(stats["Return [%]"]) or 0.0,
        buy_and_hold_pct=_number(stats["Buy & Hold Return [%]"]) or 0.0,
        max_drawdown_pct=_number(stats["Max. Drawdown [%]"]) or 0.0,
        sharpe=_number(stats["Sharpe Ratio"]),
        trades=trades,
        win_rate_pct=_number(stats["Win Rate [%]"]) if trades else None,
    )
