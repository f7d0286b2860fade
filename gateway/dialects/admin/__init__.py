"""Native admin API under /admin/v1, plus health, readiness and metrics."""
