"""The voice service (see DESIGN.md for what it owns)."""
