"""Insights from conversations: titles, suggested questions and statistics."""
