"""Dify console dialect under /console/api: plain objects, `{"code","message","status"}` errors, Dify SSE."""
