"""The files service (see DESIGN.md for what it owns)."""
