"""Test-only servers (PostgreSQL, s3rver), the scripted OpenAI upstream and pytest fixtures; the embedded
NATS and Valkey servers live in services.kit.embedded."""
