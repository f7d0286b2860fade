"""NextConsole app sessions: a session is a conversation of an app, made or resumed by init_session."""

from __future__ import annotations

from dataclasses import dataclass

from services.chat.app_config import AppConfigReader
from services.chat.models.registry import ModelRegistry
from services.chat.records import ConversationRecord
from services.chat.store import ChatStore
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument


@dataclass(frozen=True)
class AppSession:
    conversation: ConversationRecord
    llm_code: str


async def init_session(
    *,
    principal: Principal,
    store: ChatStore,
    registry: ModelRegistry,
    app_configs: AppConfigReader | None,
    app_code: str,
    session_code: str,
) -> AppSession:
    """Resume the caller's session of the app, or start a new one when no session_code is given."""
    if not app_code.strip():
        raise InvalidArgument("app_code is required", field="app_code")
    model_name = ""
    if app_configs is not None:
        config = await app_configs.get(principal=principal, app_id=app_code)
        model = config.model_config.fields.get("model")
        if model is not None and model.HasField("struct_value"):
            name = model.struct_value.fields.get("name")
            model_name = name.string_value if name is not None else ""
    try:
        llm_code = (await registry.resolve_llm(principal=principal, model_name=model_name)).entry_id
    except FailedPrecondition as error:
        # A session needs no model; only generation does, and it says so then.
        if error.reason != "model_not_configured":
            raise
        llm_code = ""
    if session_code:
        conversation = await store.get_conversation(principal=principal, conversation_id=session_code, app_id=app_code)
    else:
        conversation = await store.create_conversation(
            principal=principal, app_id=app_code, mode="chat", origin="nextconsole", name="新会话"
        )
    return AppSession(conversation=conversation, llm_code=llm_code)
