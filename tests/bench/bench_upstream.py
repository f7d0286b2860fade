"""The streaming bench's scripted OpenAI-wire upstream, one model per scenario: `-m tests.bench.bench_upstream`."""

from __future__ import annotations

import argparse

import uvicorn

from services.kit.testing.openai_upstream import Script, ScriptedUpstream

# model -> (tokens, ms between tokens); every token carries sse_probe.MARKER once.
MODELS = {
    "bench-single": (500, 0.0),
    "bench-throughput": (200, 5.0),
    "bench-wide": (50, 20.0),
    "bench-burst": (20, 5.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    upstream = ScriptedUpstream(models=tuple(MODELS))
    for model, (tokens, delay_ms) in MODELS.items():
        upstream.by_model[model] = Script(chunks=[f"@@{i} " for i in range(tokens)], delay_s=delay_ms / 1000)
    # The upstream keeps every request it saw for tests; a bench sends tens of thousands.
    upstream.requests = _Forgetful()
    uvicorn.run(upstream.app(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False, backlog=4096)


class _Forgetful(list):  # type: ignore[type-arg]
    def append(self, item: object) -> None:
        return None


if __name__ == "__main__":
    main()
