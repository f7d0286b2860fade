"""The apps service (see DESIGN.md for what it owns)."""
