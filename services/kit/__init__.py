"""Shared infrastructure for every MeshConsole process; holds no domain code."""
