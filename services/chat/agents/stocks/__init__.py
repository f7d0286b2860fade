"""Stock tools: market data behind a provider interface (a local dataset or akshare), and backtests."""
