"""Identity service: users, companies, credentials, tokens and API keys."""
