"""Agents: tool-using runs (Nexent agent/run, lbai stock analysis) and their cached configuration."""
