"""Real NATS, Valkey and PostgreSQL servers for tests and the local launcher, plus pytest fixtures."""
