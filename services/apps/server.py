"""gRPC servicer for apps: translates proto messages to domain calls and back, nothing more."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2
from meshconsole.apps.v1 import apps_pb2, apps_pb2_grpc
from meshconsole.common.v1 import common_pb2

from services.apps import convert
from services.apps.fields import Kind
from services.apps.mini_programs import MiniProgramService, ProgramRef
from services.apps.nexent import NexentService
from services.apps.service import AppsService
from services.kit.context import require_principal
from services.kit.errors import InvalidArgument

_UPDATABLE_SITE = (
    "title",
    "icon",
    "icon_type",
    "icon_background",
    "description",
    "default_language",
    "copyright",
    "privacy_policy",
    "custom_disclaimer",
    "customize_domain",
    "customize_token_strategy",
    "prompt_public",
)
_MEMO_SIZE = 2048


_caller = require_principal


def _dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def _optional(request: Any, name: str) -> Any:
    return getattr(request, name) if request.HasField(name) else None


def _ref(ref: apps_pb2.MiniProgramRef) -> ProgramRef:
    which = ref.WhichOneof("ref")
    if which is None:
        raise InvalidArgument("command_session_id is required", field="command_session_id")
    return ProgramRef(which, getattr(ref, which))


class AppsServicer(apps_pb2_grpc.AppsServiceServicer):
    """Thin adapter over the apps, mini program and Nexent domain services."""

    def __init__(self, apps: AppsService, programs: MiniProgramService, nexent: NexentService) -> None:
        self.apps = apps
        self.programs = programs
        self.nexent = nexent
        # GetAppConfig replies by (app_id, config_version): every change bumps the version, so entries never go stale.
        self._config_memo: dict[tuple[str, int], apps_pb2.AppConfig] = {}

    async def CreateApp(self, request: apps_pb2.CreateAppRequest, context: Any) -> apps_pb2.App:
        record = await self.apps.create_app(
            principal=_caller(),
            name=request.name,
            description=request.description,
            mode=convert.MODE_FROM_PROTO.get(request.mode, ""),
            icon=request.icon,
            icon_type=request.icon_type,
            icon_background=request.icon_background,
            model_config=_dict(request.model_config) if request.HasField("model_config") else None,
        )
        return convert.app(record)

    async def GetApp(self, request: apps_pb2.GetAppRequest, context: Any) -> apps_pb2.App:
        return convert.app(await self.apps.get_app(principal=_caller(), app_id=request.app_id))

    async def ListApps(self, request: apps_pb2.ListAppsRequest, context: Any) -> apps_pb2.ListAppsResponse:
        records, total, page, limit = await self.apps.list_apps(
            principal=_caller(),
            page=request.page.page,
            limit=request.page.limit,
            name=request.name,
            mode=convert.MODE_FROM_PROTO.get(request.mode, ""),
            kind=Kind(request.kind or Kind.STANDARD),
        )
        info = common_pb2.PageInfo(page=page, limit=limit, total=total, has_more=page * limit < total)
        return apps_pb2.ListAppsResponse(apps=[convert.app(r) for r in records], page=info)

    async def DeleteApp(self, request: apps_pb2.DeleteAppRequest, context: Any) -> common_pb2.Empty:
        await self.apps.delete_app(principal=_caller(), app_id=request.app_id)
        return common_pb2.Empty()

    async def CopyApp(self, request: apps_pb2.CopyAppRequest, context: Any) -> apps_pb2.App:
        record = await self.apps.copy_app(
            principal=_caller(),
            app_id=request.app_id,
            name=request.name,
            description=request.description or None,
            mode=convert.MODE_FROM_PROTO.get(request.mode, ""),
            icon=request.icon or None,
            icon_type=request.icon_type or None,
            icon_background=request.icon_background or None,
        )
        return convert.app(record)

    async def UpdateApp(self, request: apps_pb2.UpdateAppRequest, context: Any) -> apps_pb2.App:
        names = ("name", "description", "icon", "icon_type", "icon_background", "enable_site", "enable_api")
        changes = {name: _optional(request, name) for name in names}
        record = await self.apps.update_app(principal=_caller(), app_id=request.app_id, **changes)
        return convert.app(record)

    async def SaveModelConfig(self, request: apps_pb2.SaveModelConfigRequest, context: Any) -> apps_pb2.ModelConfig:
        version = await self.apps.save_model_config(
            principal=_caller(), app_id=request.app_id, config=_dict(request.config)
        )
        return convert.model_config(version)

    async def GetAppConfig(self, request: apps_pb2.GetAppConfigRequest, context: Any) -> apps_pb2.AppConfig:
        view = await self.apps.app_config(principal=_caller(), app_id=request.app_id)
        key = (view.app_id, view.config_version)
        reply = self._config_memo.get(key)
        if reply is None:
            if len(self._config_memo) >= _MEMO_SIZE:
                self._config_memo.clear()
            reply = self._config_memo[key] = convert.app_config(view)
        return reply

    async def UpdateSite(self, request: apps_pb2.UpdateSiteRequest, context: Any) -> apps_pb2.Site:
        changes = {name: _optional(request, name) for name in _UPDATABLE_SITE}
        return convert.site(await self.apps.update_site(principal=_caller(), app_id=request.app_id, changes=changes))

    async def ResetSiteAccessToken(self, request: apps_pb2.ResetSiteAccessTokenRequest, context: Any) -> apps_pb2.Site:
        return convert.site(await self.apps.reset_site_token(principal=_caller(), app_id=request.app_id))

    async def SaveNexentConfig(self, request: apps_pb2.SaveNexentConfigRequest, context: Any) -> apps_pb2.NexentConfig:
        config, app_id, updated = await self.nexent.save(principal=_caller(), config=_dict(request.config))
        return apps_pb2.NexentConfig(
            config=convert.struct(config), app_id=app_id, updated_at=convert.timestamp(updated)
        )

    async def LoadNexentConfig(self, request: apps_pb2.LoadNexentConfigRequest, context: Any) -> apps_pb2.NexentConfig:
        config, app_id, updated = await self.nexent.load(principal=_caller(), include_secrets=request.include_secrets)
        return apps_pb2.NexentConfig(
            config=convert.struct(config), app_id=app_id, updated_at=convert.timestamp(updated)
        )

    async def CreateMiniProgram(
        self, request: apps_pb2.CreateMiniProgramRequest, context: Any
    ) -> apps_pb2.MiniProgramSessions:
        program = await self.programs.create(
            principal=_caller(), nick_name=request.nick_name, header_url=request.header_url, official=request.official
        )
        assert program.session is not None
        return apps_pb2.MiniProgramSessions(
            app_id=program.app.id, session_id=program.session.id, command_session_id=program.session.command_id or ""
        )

    async def GetMiniProgramSetting(
        self, request: apps_pb2.GetMiniProgramSettingRequest, context: Any
    ) -> apps_pb2.MiniProgramSetting:
        return convert.setting(await self.programs.setting(principal=_caller(), ref=_ref(request.ref)))

    async def UpdateMiniProgram(
        self, request: apps_pb2.UpdateMiniProgramRequest, context: Any
    ) -> apps_pb2.MiniProgramSetting:
        columns = {
            "name": "mini_program_name",
            "icon": "mini_program_icon",
            "mp_introduction": "mini_program_introduction",
            "mp_instructions": "mini_program_instructions",
            "mp_setting": "mini_program_setting",
        }
        changes = {column: _optional(request, name) for column, name in columns.items()}
        file_ids = list(request.knowledge_base.file_ids) if request.HasField("knowledge_base") else None
        program = await self.programs.update(
            principal=_caller(), ref=_ref(request.ref), changes=changes, file_ids=file_ids
        )
        return convert.setting(program)

    async def MountFiles(self, request: apps_pb2.MountFilesRequest, context: Any) -> apps_pb2.MiniProgramSetting:
        program = await self.programs.mount(principal=_caller(), ref=_ref(request.ref), file_ids=list(request.file_ids))
        return convert.setting(program)

    async def ShareMiniProgram(self, request: apps_pb2.ShareMiniProgramRequest, context: Any) -> apps_pb2.ChatSession:
        session, app = await self.programs.share(principal=_caller(), session_id=request.session_id)
        return convert.chat_session(session, app, role=apps_pb2.SESSION_ROLE_CHAT)

    async def ListChatSessions(
        self, request: apps_pb2.ListChatSessionsRequest, context: Any
    ) -> apps_pb2.ListChatSessionsResponse:
        rows = await self.programs.list_sessions(principal=_caller(), session_type=request.session_type)
        return apps_pb2.ListChatSessionsResponse(sessions=[convert.chat_session(s, a) for s, a in rows])

    async def EnsurePartnerSession(self, request: common_pb2.Empty, context: Any) -> apps_pb2.ChatSession:
        session, app = await self.programs.partner(principal=_caller())
        return convert.chat_session(session, app, role=apps_pb2.SESSION_ROLE_CHAT)

    async def GetChatSession(self, request: apps_pb2.GetChatSessionRequest, context: Any) -> apps_pb2.ChatSession:
        session, app, command = await self.programs.get_session(principal=_caller(), session_id=request.session_id)
        role = apps_pb2.SESSION_ROLE_COMMAND if command else apps_pb2.SESSION_ROLE_CHAT
        return convert.chat_session(session, app, role=role)
