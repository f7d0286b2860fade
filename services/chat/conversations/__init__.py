"""Conversations, their messages, feedback, annotations and app sessions."""
