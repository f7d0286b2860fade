"""NextConsole dialect: `{"error_code", "error_message", "error_status", "result"}` envelopes."""
