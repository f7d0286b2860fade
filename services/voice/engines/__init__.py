"""Speech engines: local (faster-whisper, Piper, eSpeak NG) and OpenAI-compatible."""
