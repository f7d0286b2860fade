"""The meetings service (see DESIGN.md for what it owns)."""
