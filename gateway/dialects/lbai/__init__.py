"""lbai dialect under /ai-api/v1: `{"data", "errorCode", "message", "success"}` envelopes and lbai pages."""
