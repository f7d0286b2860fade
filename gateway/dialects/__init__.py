"""The four public API dialects plus the native admin API."""
