"""The four public API dialects plus the native admin API; gateway.main includes their routers explicitly."""
