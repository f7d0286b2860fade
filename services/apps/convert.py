"""Domain rows to apps.v1 messages (the servicer's half of the translation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from google.protobuf import message as protobuf_message
from google.protobuf import struct_pb2, timestamp_pb2
from meshconsole.apps.v1 import apps_pb2

from services.apps.cache import ConfigView
from services.apps.mini_programs import Program
from services.apps.models import App, ChatSession, ModelConfigVersion, Site
from services.apps.store import AppRecord
from services.kit.clock import as_utc

MODE_TO_PROTO = {
    "chat": apps_pb2.APP_MODE_CHAT,
    "completion": apps_pb2.APP_MODE_COMPLETION,
    "agent-chat": apps_pb2.APP_MODE_AGENT_CHAT,
    "advanced-chat": apps_pb2.APP_MODE_ADVANCED_CHAT,
    "workflow": apps_pb2.APP_MODE_WORKFLOW,
}
MODE_FROM_PROTO = {number: name for name, number in MODE_TO_PROTO.items()}
MessageT = TypeVar("MessageT", bound=protobuf_message.Message)


def same_named(row: Any, message_type: type[MessageT], **overrides: Any) -> MessageT:
    """A message with each of its scalar fields and timestamps copied from the row attribute of the same name."""
    values: dict[str, Any] = {}
    for field in message_type.DESCRIPTOR.fields:
        if field.name in overrides or not hasattr(row, field.name):
            continue
        if field.message_type is None:
            values[field.name] = getattr(row, field.name)
        elif field.message_type.full_name == "google.protobuf.Timestamp":
            values[field.name] = timestamp(getattr(row, field.name))
    return message_type(**values, **overrides)


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    moment = as_utc(value)
    if moment is None:
        return None
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(moment)
    return message


def model_config(version: ModelConfigVersion) -> apps_pb2.ModelConfig:
    return apps_pb2.ModelConfig(
        id=version.id,
        app_id=version.app_id,
        version=version.version,
        config=struct(version.config),
        created_at=timestamp(version.created_at),
    )


def site(row: Site) -> apps_pb2.Site:
    return same_named(row, apps_pb2.Site, access_token=row.code)


def app(record: AppRecord) -> apps_pb2.App:
    row: App = record.app
    message = same_named(row, apps_pb2.App, mode=MODE_TO_PROTO[row.mode])
    if record.config is not None:
        message.model_config.CopyFrom(model_config(record.config))
    if record.site is not None:
        message.site.CopyFrom(site(record.site))
    return message


def app_config(view: ConfigView) -> apps_pb2.AppConfig:
    return apps_pb2.AppConfig(
        app_id=view.app_id,
        kind=view.kind,
        mode=MODE_TO_PROTO[view.mode],
        name=view.name,
        config_version=view.config_version,
        model_config_version=view.model_config_version,
        model_config=struct(view.model_config),
        enable_api=view.enable_api,
        enable_site=view.enable_site,
        mini_program_setting=view.mini_program_setting,
        knowledge_file_ids=list(view.knowledge_file_ids),
        owner_user_id=view.owner_user_id,
        owner_company_id=view.owner_company_id,
        updated_at=timestamp(view.updated_at),
    )


def chat_session(row: ChatSession, owner: App, *, role: int = 0) -> apps_pb2.ChatSession:
    return apps_pb2.ChatSession(
        session_id=row.id,
        command_session_id=row.command_id or "",
        nick_name=owner.name,
        header_url=owner.icon,
        session_type=row.session_type,
        app_id=owner.id,
        role=role,
        user_id=row.user_id,
        created_at=timestamp(row.created_at),
    )


def setting(program: Program) -> apps_pb2.MiniProgramSetting:
    row, session = program.app, program.session
    return apps_pb2.MiniProgramSetting(
        app_id=row.id,
        session_id=session.id if session else "",
        command_session_id=(session.command_id or "") if session else "",
        mini_program_name=row.name,
        mini_program_icon=row.icon,
        mini_program_introduction=row.mp_introduction,
        mini_program_instructions=row.mp_instructions,
        mini_program_setting=row.mp_setting,
        knowledge_file_ids=list(row.knowledge_file_ids or ()),
        official=row.official,
        owner_user_id=row.user_id,
        updated_at=timestamp(row.updated_at),
    )
