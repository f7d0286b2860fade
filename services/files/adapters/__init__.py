"""Object storage backends behind one interface: `local` (embedded default) and `s3` (MinIO or any S3)."""
