"""The API gateway: the only public HTTP surface, serving four dialects over one mesh."""
