"""Dify model_config checks: the seed bodies pass, every bad shape or value is refused naming its field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2

from services.apps.model_config import default_model_config, normalize_model_config
from services.kit.errors import InvalidArgument

# POST /apps/{app_id}/model-config, verbatim from seeds/dify-console-api.txt.
SEED_BODY: dict[str, Any] = {
    "pre_prompt": "",
    "prompt_type": "simple",
    "chat_prompt_config": {},
    "completion_prompt_config": {},
    "user_input_form": [],
    "dataset_query_variable": "",
    "opening_statement": "",
    "suggested_questions": [],
    "more_like_this": {"enabled": False},
    "suggested_questions_after_answer": {"enabled": False},
    "speech_to_text": {"enabled": False},
    "text_to_speech": {"enabled": False, "language": "", "voice": ""},
    "retriever_resource": {"enabled": False},
    "sensitive_word_avoidance": {"enabled": False},
    "agent_mode": {"max_iteration": 5, "enabled": True, "strategy": "react", "tools": []},
    "model": {
        "provider": "openai_api_compatible",
        "name": "nitro",
        "mode": "chat",
        "completion_params": {
            "frequency_penalty": 0,
            "max_tokens": 512,
            "presence_penalty": 0,
            "stop": [],
            "temperature": 2,
            "top_p": 1,
        },
    },
    "dataset_configs": {"retrieval_model": "single", "datasets": {"datasets": []}},
    "file_upload": {
        "image": {"enabled": False, "number_limits": 2, "detail": "low", "transfer_methods": ["local_file"]}
    },
}
DIFY_KEYS = {
    "pre_prompt",
    "prompt_type",
    "chat_prompt_config",
    "completion_prompt_config",
    "user_input_form",
    "dataset_query_variable",
    "opening_statement",
    "suggested_questions",
    "suggested_questions_after_answer",
    "speech_to_text",
    "text_to_speech",
    "retriever_resource",
    "annotation_reply",
    "more_like_this",
    "sensitive_word_avoidance",
    "external_data_tools",
    "model",
    "agent_mode",
    "dataset_configs",
    "file_upload",
}


def _through_struct(body: dict[str, Any]) -> dict[str, Any]:
    """What the service receives: the body after a google.protobuf.Struct round trip (ints become floats)."""
    message = struct_pb2.Struct()
    message.update(body)
    return json_format.MessageToDict(message)


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED_BODY)
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return body


_DELETE = object()


def test_the_seed_body_passes_unchanged_and_ints_survive_the_struct() -> None:
    saved = normalize_model_config(_through_struct(SEED_BODY))
    assert set(saved) == DIFY_KEYS
    for key, value in SEED_BODY.items():
        assert saved[key] == value, key
    params = saved["model"]["completion_params"]
    assert type(params["max_tokens"]) is int and params["max_tokens"] == 512
    assert saved["annotation_reply"] == {"enabled": False} and saved["external_data_tools"] == []


def test_unknown_keys_are_dropped_and_missing_sections_defaulted() -> None:
    saved = normalize_model_config({"model": {"provider": "p", "name": "m"}, "appId": "x", "supportAnnotation": True})
    assert set(saved) == DIFY_KEYS
    assert saved["model"] == {"provider": "p", "name": "m", "mode": "chat", "completion_params": {}}
    assert saved["retriever_resource"] == {"enabled": True}
    assert saved["agent_mode"] == {"enabled": False, "strategy": None, "tools": []}
    assert saved["pre_prompt"] == "" and saved["user_input_form"] == []


def test_a_completion_form_with_variables_passes() -> None:
    form = [
        {"paragraph": {"label": "Query", "variable": "query", "required": True, "default": ""}},
        {"select": {"label": "Tone", "variable": "tone", "options": ["calm", "bold"]}},
    ]
    saved = normalize_model_config({**SEED_BODY, "user_input_form": form, "pre_prompt": "{{query}}"})
    assert saved["user_input_form"][0]["paragraph"]["variable"] == "query"
    assert saved["user_input_form"][1]["select"] == {
        "label": "Tone",
        "variable": "tone",
        "options": ["calm", "bold"],
        "required": False,
    }


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        ("model.completion_params.temperature", 2.5, "model.completion_params.temperature", "between 0 and 2"),
        ("model.completion_params.temperature", -0.1, "model.completion_params.temperature", "between 0 and 2"),
        ("model.completion_params.temperature", "hot", "model.completion_params.temperature", "must be a number"),
        ("model.completion_params.temperature", True, "model.completion_params.temperature", "must be a number"),
        ("model.completion_params.top_p", 1.5, "model.completion_params.top_p", "between 0 and 1"),
        ("model.completion_params.max_tokens", 12.5, "model.completion_params.max_tokens", "must be an integer"),
        ("model.completion_params.max_tokens", 0, "model.completion_params.max_tokens", "between 1 and"),
        ("model.completion_params.stop", ["a", "b", "c", "d", "e"], "model.completion_params.stop", "at most 4"),
        ("model.completion_params", [], "model.completion_params", "must be an object"),
        ("model.provider", "", "model.provider", "is required"),
        ("model.provider", _DELETE, "model.provider", "is required"),
        ("model.name", "  ", "model.name", "is required"),
        ("model.name", 7, "model.name", "must be a string"),
        ("model.mode", "vision", "model.mode", "chat or completion"),
        ("model", _DELETE, "model", "is required"),
        ("model", "gpt", "model", "must be an object"),
        ("pre_prompt", 42, "pre_prompt", "must be a string"),
        ("pre_prompt", "x" * 100_001, "pre_prompt", "at most 100000"),
        ("prompt_type", "fancy", "prompt_type", "simple or advanced"),
        ("user_input_form", {"a": 1}, "user_input_form", "must be a list"),
        ("user_input_form", [{"slider": {}}], "user_input_form[0]", "exactly one key"),
        (
            "user_input_form",
            [{"paragraph": {"label": "x", "variable": "1bad"}}],
            "user_input_form[0].paragraph.variable",
            "letter",
        ),
        ("suggested_questions", "why?", "suggested_questions", "must be a list"),
        ("more_like_this.enabled", "yes", "more_like_this.enabled", "must be a boolean"),
        ("speech_to_text", True, "speech_to_text", "must be an object"),
        ("agent_mode.strategy", "guess", "agent_mode.strategy", "must be one of"),
        ("agent_mode.max_iteration", 500, "agent_mode.max_iteration", "between 1 and 99"),
        ("agent_mode.tools", [1], "agent_mode.tools[0]", "must be an object"),
        ("dataset_configs.retrieval_model", "all", "dataset_configs.retrieval_model", "single or multiple"),
        (
            "dataset_configs.datasets",
            {"datasets": [{"dataset": {"id": 5}}]},
            "dataset_configs.datasets.datasets[0].dataset.id",
            "string",
        ),
        ("file_upload.image.number_limits", 20, "file_upload.image.number_limits", "between 1 and 10"),
        ("file_upload.image.detail", "max", "file_upload.image.detail", "high or low"),
        ("file_upload.image.transfer_methods", ["ftp"], "file_upload.image.transfer_methods", "remote_url"),
    ],
)
def test_bad_values_name_their_field(path: str, value: Any, field: str, words: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        normalize_model_config(_through_struct(_with(path, value)))
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.message.startswith(field)


def test_repeated_form_variables_and_oversized_bodies_are_refused() -> None:
    form = [{"text-input": {"label": "a", "variable": "v"}}, {"paragraph": {"label": "b", "variable": "v"}}]
    with pytest.raises(InvalidArgument) as caught:
        normalize_model_config({**SEED_BODY, "user_input_form": form})
    assert caught.value.field == "user_input_form[1].paragraph.variable"
    with pytest.raises(InvalidArgument) as caught:
        normalize_model_config(
            {**SEED_BODY, "opening_statement": "x" * 9000, "pre_prompt": "y" * 99_000, "z": "w" * 200_000}
        )
    assert caught.value.field == "model_config" and "256 KiB" in caught.value.message
    with pytest.raises(InvalidArgument) as caught:
        normalize_model_config(["not", "an", "object"])
    assert caught.value.field == "model_config"


@pytest.mark.parametrize("mode", ["chat", "completion", "agent-chat", "advanced-chat", "workflow"])
def test_defaults_are_valid_for_every_mode(mode: str) -> None:
    config = default_model_config(mode)
    assert normalize_model_config(config) == config
    assert config["model"]["provider"] and config["model"]["name"]
    assert config["agent_mode"]["enabled"] is (mode == "agent-chat")
    assert config["model"]["mode"] == ("completion" if mode == "completion" else "chat")
