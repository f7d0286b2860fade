"""The retrieval service (see DESIGN.md for what it owns)."""
