"""Conversation, message, feedback, annotation and statistics RPCs; proto <-> domain only."""

from __future__ import annotations

from services.chat.store import ChatStore


class ConversationRpcs:
    """Mixin of ChatServicer for conversations and what hangs off them."""

    store: ChatStore
