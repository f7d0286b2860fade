"""The model registry: per-company model entries, their probes and embeddings."""
