"""Dify model_config: shape and value checks, defaults for missing keys, and the default config of a new app.

A saved config always holds every key of Dify's model_config (missing ones get Dify's defaults); keys Dify does
not know are dropped, as Dify does. Numbers arrive through google.protobuf.Struct as floats, so an integer
field accepts 512.0 and stores 512. Failures are InvalidArgument naming the dotted path (`model.name`,
`user_input_form[0].paragraph.variable`, ...).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import orjson

from services.kit.errors import InvalidArgument

MAX_CONFIG_BYTES = 256 * 1024
PRE_PROMPT_MAX = 100_000
TEXT_MAX = 10_000
NAME_MAX = 255
MAX_STOP_WORDS = 4
MAX_FORM_ITEMS = 50
MAX_TOOLS = 50
# The platform's default model: chat resolves provider "meshconsole" / name "default" to MESH_DEFAULT_MODEL.
DEFAULT_PROVIDER = "meshconsole"
DEFAULT_MODEL_NAME = "default"

FORM_TYPES = ("text-input", "select", "paragraph", "number", "external_data_tool", "file", "file-list", "checkbox")
AGENT_STRATEGIES = ("router", "react_router", "react", "function_call")
# The tools chat's agent runtime runs (services.chat.agents.plan.BUILTIN_TOOLS); "mcp" tools name a company server.
AGENT_BUILTIN_TOOLS = ("knowledge_search", "read_file", "web_fetch", "stock_quote", "stock_news", "stock_backtest")
AGENT_TOOL_PROVIDERS = ("builtin", "mcp")
VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,29}$")
Json = dict[str, Any]


def _fail(field: str, message: str) -> InvalidArgument:
    return InvalidArgument(f"{field} {message}", field=field)


def _obj(value: Any, field: str, default: Json | None = None) -> Json:
    if value is None:
        return copy.deepcopy(default) if default is not None else {}
    if not isinstance(value, dict):
        raise _fail(field, "must be an object")
    return value


def _str(value: Any, field: str, *, max_len: int = NAME_MAX, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise _fail(field, "must be a string")
    if len(value) > max_len:
        raise _fail(field, f"must be at most {max_len} characters")
    return value


def _bool(value: Any, field: str, *, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(field, "must be a boolean")
    return value


def _num(value: Any, field: str, lo: float, hi: float) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(field, "must be a number")
    if not lo <= value <= hi:
        raise _fail(field, f"must be between {lo:g} and {hi:g}")
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _int(value: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise _fail(field, "must be an integer")
    if not lo <= value <= hi:
        raise _fail(field, f"must be between {lo} and {hi}")
    return int(value)


def _list(value: Any, field: str, *, max_items: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(field, "must be a list")
    if len(value) > max_items:
        raise _fail(field, f"must have at most {max_items} items")
    return value


def _str_list(value: Any, field: str, *, max_items: int, max_len: int = 500) -> list[str]:
    return [
        _str(item, f"{field}[{i}]", max_len=max_len) for i, item in enumerate(_list(value, field, max_items=max_items))
    ]


def _toggle(value: Any, field: str, *, enabled: bool = False) -> Json:
    """A feature switch `{"enabled": bool, ...}`; extra keys are kept as sent."""
    out = dict(_obj(value, field, {"enabled": enabled}))
    out["enabled"] = _bool(out.get("enabled"), f"{field}.enabled", default=enabled)
    return out


_PARAM_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}


def _model(value: Any) -> Json:
    if value is None:
        raise _fail("model", "is required (provider and name)")
    model = _obj(value, "model")
    provider = _str(model.get("provider"), "model.provider").strip()
    name = _str(model.get("name"), "model.name").strip()
    if not provider:
        raise _fail("model.provider", "is required")
    if not name:
        raise _fail("model.name", "is required")
    mode = _str(model.get("mode"), "model.mode", default="chat")
    if mode not in ("chat", "completion"):
        raise _fail("model.mode", "must be chat or completion")
    params = dict(_obj(model.get("completion_params"), "model.completion_params"))
    for key, (lo, hi) in _PARAM_RANGES.items():
        if params.get(key) is not None:
            params[key] = _num(params[key], f"model.completion_params.{key}", lo, hi)
    if params.get("max_tokens") is not None:
        params["max_tokens"] = _int(params["max_tokens"], "model.completion_params.max_tokens", 1, 1_000_000)
    if "stop" in params:
        params["stop"] = _str_list(params["stop"], "model.completion_params.stop", max_items=MAX_STOP_WORDS)
    return {**model, "provider": provider, "name": name, "mode": mode, "completion_params": params}


def _form_item(item: Any, field: str, seen: set[str]) -> Json:
    entry = _obj(item, field)
    if len(entry) != 1 or next(iter(entry)) not in FORM_TYPES:
        raise _fail(field, f"must have exactly one key among {', '.join(FORM_TYPES)}")
    kind, raw = next(iter(entry.items()))
    where = f"{field}.{kind}"
    spec = dict(_obj(raw, where))
    spec["label"] = _str(spec.get("label"), f"{where}.label")
    variable = _str(spec.get("variable"), f"{where}.variable")
    if not VARIABLE.match(variable):
        raise _fail(f"{where}.variable", "must start with a letter or _ and hold at most 30 letters, digits or _")
    if variable in seen:
        raise _fail(f"{where}.variable", f"repeats the variable {variable!r}")
    seen.add(variable)
    spec["variable"] = variable
    spec["required"] = _bool(spec.get("required"), f"{where}.required")
    if spec.get("max_length") is not None:
        spec["max_length"] = _int(spec["max_length"], f"{where}.max_length", 1, 1_000_000)
    if kind == "select":
        spec["options"] = _str_list(spec.get("options"), f"{where}.options", max_items=200)
    return {kind: spec}


def _agent_mode(value: Any) -> Json:
    agent = dict(_obj(value, "agent_mode", {"enabled": False, "strategy": None, "tools": []}))
    agent["enabled"] = _bool(agent.get("enabled"), "agent_mode.enabled")
    strategy = agent.get("strategy")
    if strategy not in (None, "") and strategy not in AGENT_STRATEGIES:
        raise _fail("agent_mode.strategy", f"must be one of {', '.join(AGENT_STRATEGIES)}")
    if agent.get("max_iteration") is not None:
        agent["max_iteration"] = _int(agent["max_iteration"], "agent_mode.max_iteration", 1, 99)
    tools = _list(agent.get("tools"), "agent_mode.tools", max_items=MAX_TOOLS)
    agent["tools"] = [_agent_tool(tool, f"agent_mode.tools[{i}]") for i, tool in enumerate(tools)]
    return agent


def _agent_tool(value: Any, field: str) -> Json:
    """One agent_mode tool: a `dataset` entry, a builtin tool chat runs, or a tool of a company MCP server."""
    tool = dict(_obj(value, field))
    tool["enabled"] = _bool(tool.get("enabled"), f"{field}.enabled", default=True)
    if "dataset" in tool:
        dataset = dict(_obj(tool["dataset"], f"{field}.dataset"))
        if not _str(dataset.get("id"), f"{field}.dataset.id", max_len=64).strip():
            raise _fail(f"{field}.dataset.id", "is required")
        dataset["enabled"] = _bool(dataset.get("enabled"), f"{field}.dataset.enabled", default=True)
        return {**tool, "dataset": dataset}
    provider_type = _str(tool.get("provider_type"), f"{field}.provider_type", default="builtin")
    if provider_type not in AGENT_TOOL_PROVIDERS:
        raise _fail(f"{field}.provider_type", f"must be one of {', '.join(AGENT_TOOL_PROVIDERS)}")
    name = _str(tool.get("tool_name"), f"{field}.tool_name", max_len=64).strip()
    if not name:
        raise _fail(f"{field}.tool_name", "is required")
    if provider_type == "builtin" and name not in AGENT_BUILTIN_TOOLS:
        raise _fail(f"{field}.tool_name", f"must be one of {', '.join(AGENT_BUILTIN_TOOLS)}")
    if provider_type == "mcp" and not _str(tool.get("provider_id"), f"{field}.provider_id", max_len=64).strip():
        raise _fail(f"{field}.provider_id", "must name the company's MCP server")
    tool["tool_parameters"] = _obj(tool.get("tool_parameters"), f"{field}.tool_parameters")
    return {**tool, "provider_type": provider_type, "tool_name": name}


def _dataset_configs(value: Any) -> Json:
    configs = dict(_obj(value, "dataset_configs", {"retrieval_model": "multiple"}))
    model = configs.get("retrieval_model") or "multiple"
    if model not in ("single", "multiple"):
        raise _fail("dataset_configs.retrieval_model", "must be single or multiple")
    configs["retrieval_model"] = model
    if configs.get("top_k") is not None:
        configs["top_k"] = _int(configs["top_k"], "dataset_configs.top_k", 1, 100)
    if configs.get("score_threshold") is not None:
        configs["score_threshold"] = _num(configs["score_threshold"], "dataset_configs.score_threshold", 0, 1)
    if "datasets" in configs:
        holder = dict(_obj(configs["datasets"], "dataset_configs.datasets"))
        items = _list(holder.get("datasets"), "dataset_configs.datasets.datasets", max_items=100)
        for i, item in enumerate(items):
            where = f"dataset_configs.datasets.datasets[{i}]"
            dataset = _obj(_obj(item, where).get("dataset"), f"{where}.dataset")
            _str(dataset.get("id"), f"{where}.dataset.id", max_len=64)
            _bool(dataset.get("enabled"), f"{where}.dataset.enabled")
        holder["datasets"] = items
        configs["datasets"] = holder
    return configs


def _file_upload(value: Any) -> Json:
    default = {"image": {"enabled": False, "number_limits": 3, "detail": "high", "transfer_methods": []}}
    upload = dict(_obj(value, "file_upload", default))
    if "image" in upload:
        image = dict(_obj(upload["image"], "file_upload.image"))
        image["enabled"] = _bool(image.get("enabled"), "file_upload.image.enabled")
        if image.get("number_limits") is not None:
            image["number_limits"] = _int(image["number_limits"], "file_upload.image.number_limits", 1, 10)
        if image.get("detail") not in (None, "high", "low"):
            raise _fail("file_upload.image.detail", "must be high or low")
        methods = _str_list(image.get("transfer_methods"), "file_upload.image.transfer_methods", max_items=2)
        if any(m not in ("remote_url", "local_file") for m in methods):
            raise _fail("file_upload.image.transfer_methods", "may only hold remote_url and local_file")
        image["transfer_methods"] = methods
        upload["image"] = image
    return upload


_SECTIONS: dict[str, Callable[[Any], Any]] = {
    "pre_prompt": lambda v: _str(v, "pre_prompt", max_len=PRE_PROMPT_MAX),
    "prompt_type": lambda v: v or "simple",
    "chat_prompt_config": lambda v: _obj(v, "chat_prompt_config"),
    "completion_prompt_config": lambda v: _obj(v, "completion_prompt_config"),
    "dataset_query_variable": lambda v: _str(v, "dataset_query_variable"),
    "opening_statement": lambda v: _str(v, "opening_statement", max_len=TEXT_MAX),
    "suggested_questions": lambda v: _str_list(v, "suggested_questions", max_items=10),
    "suggested_questions_after_answer": lambda v: _toggle(v, "suggested_questions_after_answer"),
    "speech_to_text": lambda v: _toggle(v, "speech_to_text"),
    "text_to_speech": lambda v: _toggle(v, "text_to_speech"),
    "retriever_resource": lambda v: _toggle(v, "retriever_resource", enabled=True),
    "annotation_reply": lambda v: _toggle(v, "annotation_reply"),
    "more_like_this": lambda v: _toggle(v, "more_like_this"),
    "sensitive_word_avoidance": lambda v: _toggle(v, "sensitive_word_avoidance"),
    "external_data_tools": lambda v: [
        _obj(t, f"external_data_tools[{i}]") for i, t in enumerate(_list(v, "external_data_tools", max_items=MAX_TOOLS))
    ],
    "agent_mode": _agent_mode,
    "dataset_configs": _dataset_configs,
    "file_upload": _file_upload,
}


def normalize_model_config(raw: Any) -> Json:
    """The config to store: every Dify key present, values checked; raises InvalidArgument naming the field."""
    body = _obj(raw, "model_config")
    if len(orjson.dumps(body)) > MAX_CONFIG_BYTES:
        raise InvalidArgument(f"model_config must be at most {MAX_CONFIG_BYTES // 1024} KiB", field="model_config")
    out: Json = {"model": _model(body.get("model"))}
    for key, check in _SECTIONS.items():
        out[key] = check(body.get(key))
    if out["prompt_type"] not in ("simple", "advanced"):
        raise _fail("prompt_type", "must be simple or advanced")
    seen: set[str] = set()
    form = _list(body.get("user_input_form"), "user_input_form", max_items=MAX_FORM_ITEMS)
    out["user_input_form"] = [_form_item(item, f"user_input_form[{i}]", seen) for i, item in enumerate(form)]
    return out


def default_model_config(mode: str) -> Json:
    """Version 1 of a new app: the platform default model and Dify's defaults for everything else."""
    agent = {"enabled": mode == "agent-chat", "strategy": "function_call", "max_iteration": 5, "tools": []}
    return normalize_model_config(
        {
            "model": {
                "provider": DEFAULT_PROVIDER,
                "name": DEFAULT_MODEL_NAME,
                "mode": "completion" if mode == "completion" else "chat",
                "completion_params": {},
            },
            "agent_mode": agent,
        }
    )
