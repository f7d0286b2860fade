"""lbai mini programs and the chat list: session ids, settings, partial updates, mounted files and sharing.

/miniProgram/create (build by chat) and /miniProgram/chat belong to the chat runtime.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from meshconsole.apps.v1 import apps_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.lbai.envelope import PREFIX, ok
from gateway.dialects.lbai.schemas import ChatSession, LbaiEnvelope, MiniProgramIds, MiniProgramSetting, SharedSession
from services.kit.errors import InvalidArgument

router = APIRouter(prefix=PREFIX)
SETTING_FIELDS = (
    "mini_program_name",
    "mini_program_icon",
    "mini_program_introduction",
    "mini_program_instructions",
    "mini_program_setting",
)


class KnowledgeBase(BaseModel):
    model_config = ConfigDict(extra="ignore")

    fileIds: list[StrictStr | StrictInt] | None = Field(default=None, max_length=200)


class SaveUpdateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    command_session_id: StrictStr
    mini_program_name: StrictStr | None = None
    mini_program_icon: StrictStr | None = None
    mini_program_introduction: StrictStr | None = None
    mini_program_instructions: StrictStr | None = None
    mini_program_setting: StrictStr | None = None
    knowledge_base: KnowledgeBase | None = None


class MountBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: StrictStr
    knowledge_base: KnowledgeBase | None = None


def _file_ids(base: KnowledgeBase | None) -> list[str]:
    return [str(v) for v in (base.fileIds or [])] if base else []


def session_entry(session: apps_pb2.ChatSession) -> dict[str, Any]:
    """One /chat/list item as lbai shows it."""
    return {
        "session_id": session.session_id,
        "command_session_id": session.command_session_id,
        "nick_name": session.nick_name,
        "header_url": session.header_url,
        "session_type": int(session.session_type),
    }


@router.get("/miniProgram/getsessionid", response_model=LbaiEnvelope[MiniProgramIds])
async def get_session_id(
    principal: CurrentPrincipal,
    clients: Clients,
    nick_name: str = Query(default=""),
    header_url: str = Query(default=""),
    official: bool = Query(default=False),
) -> dict[str, Any]:
    """A new mini program: session_id to use it, command_session_id to build it (official=true: admins only)."""
    create = apps_pb2.CreateMiniProgramRequest(nick_name=nick_name, header_url=header_url, official=official)
    reply = await clients.call(clients.apps.CreateMiniProgram, create, principal=principal)
    return ok({"session_id": reply.session_id, "command_session_id": reply.command_session_id})


@router.get("/miniProgram/getSetting", response_model=LbaiEnvelope[MiniProgramSetting])
async def get_setting(
    principal: CurrentPrincipal,
    clients: Clients,
    command_session_id: str = Query(default=""),
    session_id: str = Query(default=""),
) -> dict[str, Any]:
    """The five mini_program_* fields; named by command_session_id (or one's own session_id on it)."""
    if command_session_id:
        ref = apps_pb2.MiniProgramRef(command_session_id=command_session_id)
    elif session_id:
        ref = apps_pb2.MiniProgramRef(session_id=session_id)
    else:
        raise InvalidArgument("command_session_id is required", field="command_session_id")
    query = apps_pb2.GetMiniProgramSettingRequest(ref=ref)
    reply = await clients.call(clients.apps.GetMiniProgramSetting, query, principal=principal)
    return ok({name: getattr(reply, name) for name in SETTING_FIELDS})


@router.post("/miniProgram/saveUpdate", response_model=LbaiEnvelope[None])
async def save_update(principal: CurrentPrincipal, clients: Clients, body: SaveUpdateBody) -> dict[str, Any]:
    """Partial update: a field that is not sent (or null) is left as it is; knowledge_base.fileIds replaces files."""
    sent = body.model_dump(include=set(SETTING_FIELDS), exclude_none=True)
    update = apps_pb2.UpdateMiniProgramRequest(
        ref=apps_pb2.MiniProgramRef(command_session_id=body.command_session_id), **sent
    )
    if body.knowledge_base is not None and body.knowledge_base.fileIds is not None:
        update.knowledge_base.file_ids.extend(_file_ids(body.knowledge_base))
        update.knowledge_base.SetInParent()
    await clients.call(clients.apps.UpdateMiniProgram, update, principal=principal)
    return ok(None)


@router.post("/miniProgram/mount/file", response_model=LbaiEnvelope[None])
async def mount_file(principal: CurrentPrincipal, clients: Clients, body: MountBody) -> dict[str, Any]:
    """Mount these cloud-space files on the mini program; without knowledge_base, unmount everything."""
    mount = apps_pb2.MountFilesRequest(
        ref=apps_pb2.MiniProgramRef(session_id=body.session_id), file_ids=_file_ids(body.knowledge_base)
    )
    await clients.call(clients.apps.MountFiles, mount, principal=principal)
    return ok(None)


@router.get("/miniProgram/share/sessionid", response_model=LbaiEnvelope[SharedSession])
async def share_session_id(
    principal: CurrentPrincipal, clients: Clients, session_id: str = Query(min_length=1)
) -> dict[str, Any]:
    """The caller's own session_id on a colleague's mini program (same company only)."""
    share = apps_pb2.ShareMiniProgramRequest(session_id=session_id)
    reply = await clients.call(clients.apps.ShareMiniProgram, share, principal=principal)
    return ok({"session_id": reply.session_id})


@router.get("/chat/list", response_model=LbaiEnvelope[list[ChatSession]])
async def chat_list(
    principal: CurrentPrincipal, clients: Clients, session_type: int = Query(default=0, ge=0, le=4)
) -> dict[str, Any]:
    """The AI partner session, official, created and shared mini programs (session_type 0 = all)."""
    query = apps_pb2.ListChatSessionsRequest(session_type=session_type)
    reply = await clients.call(clients.apps.ListChatSessions, query, principal=principal)
    return ok([session_entry(s) for s in reply.sessions])
