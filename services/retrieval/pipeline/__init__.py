"""The ingestion pipeline on JetStream: intake, workers, dead letters, and the events retrieval follows."""
