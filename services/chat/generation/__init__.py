"""Generation: one model turn, streamed or whole; the upstream client, coalescing and prompts."""
