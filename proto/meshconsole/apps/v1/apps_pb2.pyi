import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from meshconsole.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AppMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APP_MODE_UNSPECIFIED: _ClassVar[AppMode]
    APP_MODE_CHAT: _ClassVar[AppMode]
    APP_MODE_COMPLETION: _ClassVar[AppMode]
    APP_MODE_AGENT_CHAT: _ClassVar[AppMode]
    APP_MODE_ADVANCED_CHAT: _ClassVar[AppMode]
    APP_MODE_WORKFLOW: _ClassVar[AppMode]

class AppKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APP_KIND_UNSPECIFIED: _ClassVar[AppKind]
    APP_KIND_STANDARD: _ClassVar[AppKind]
    APP_KIND_MINI_PROGRAM: _ClassVar[AppKind]
    APP_KIND_PARTNER: _ClassVar[AppKind]
    APP_KIND_NEXENT_AGENT: _ClassVar[AppKind]

class SessionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_TYPE_UNSPECIFIED: _ClassVar[SessionType]
    SESSION_TYPE_PARTNER: _ClassVar[SessionType]
    SESSION_TYPE_OFFICIAL_MINI_PROGRAM: _ClassVar[SessionType]
    SESSION_TYPE_CREATED_MINI_PROGRAM: _ClassVar[SessionType]
    SESSION_TYPE_SHARED_MINI_PROGRAM: _ClassVar[SessionType]

class SessionRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_ROLE_UNSPECIFIED: _ClassVar[SessionRole]
    SESSION_ROLE_CHAT: _ClassVar[SessionRole]
    SESSION_ROLE_COMMAND: _ClassVar[SessionRole]
APP_MODE_UNSPECIFIED: AppMode
APP_MODE_CHAT: AppMode
APP_MODE_COMPLETION: AppMode
APP_MODE_AGENT_CHAT: AppMode
APP_MODE_ADVANCED_CHAT: AppMode
APP_MODE_WORKFLOW: AppMode
APP_KIND_UNSPECIFIED: AppKind
APP_KIND_STANDARD: AppKind
APP_KIND_MINI_PROGRAM: AppKind
APP_KIND_PARTNER: AppKind
APP_KIND_NEXENT_AGENT: AppKind
SESSION_TYPE_UNSPECIFIED: SessionType
SESSION_TYPE_PARTNER: SessionType
SESSION_TYPE_OFFICIAL_MINI_PROGRAM: SessionType
SESSION_TYPE_CREATED_MINI_PROGRAM: SessionType
SESSION_TYPE_SHARED_MINI_PROGRAM: SessionType
SESSION_ROLE_UNSPECIFIED: SessionRole
SESSION_ROLE_CHAT: SessionRole
SESSION_ROLE_COMMAND: SessionRole

class App(_message.Message):
    __slots__ = ("id", "name", "description", "mode", "kind", "icon", "icon_type", "icon_background", "enable_site", "enable_api", "api_rpm", "api_rph", "is_demo", "model_config", "site", "user_id", "company_id", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    ICON_TYPE_FIELD_NUMBER: _ClassVar[int]
    ICON_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    ENABLE_SITE_FIELD_NUMBER: _ClassVar[int]
    ENABLE_API_FIELD_NUMBER: _ClassVar[int]
    API_RPM_FIELD_NUMBER: _ClassVar[int]
    API_RPH_FIELD_NUMBER: _ClassVar[int]
    IS_DEMO_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    SITE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    mode: AppMode
    kind: AppKind
    icon: str
    icon_type: str
    icon_background: str
    enable_site: bool
    enable_api: bool
    api_rpm: int
    api_rph: int
    is_demo: bool
    model_config: ModelConfig
    site: Site
    user_id: int
    company_id: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., mode: _Optional[_Union[AppMode, str]] = ..., kind: _Optional[_Union[AppKind, str]] = ..., icon: _Optional[str] = ..., icon_type: _Optional[str] = ..., icon_background: _Optional[str] = ..., enable_site: _Optional[bool] = ..., enable_api: _Optional[bool] = ..., api_rpm: _Optional[int] = ..., api_rph: _Optional[int] = ..., is_demo: _Optional[bool] = ..., model_config: _Optional[_Union[ModelConfig, _Mapping]] = ..., site: _Optional[_Union[Site, _Mapping]] = ..., user_id: _Optional[int] = ..., company_id: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ModelConfig(_message.Message):
    __slots__ = ("id", "app_id", "version", "config", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    app_id: str
    version: int
    config: _struct_pb2.Struct
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., app_id: _Optional[str] = ..., version: _Optional[int] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Site(_message.Message):
    __slots__ = ("app_id", "access_token", "code", "title", "icon", "icon_type", "icon_background", "description", "default_language", "copyright", "privacy_policy", "custom_disclaimer", "customize_domain", "customize_token_strategy", "prompt_public", "created_at", "updated_at")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    ICON_TYPE_FIELD_NUMBER: _ClassVar[int]
    ICON_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    COPYRIGHT_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_POLICY_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_DISCLAIMER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMIZE_DOMAIN_FIELD_NUMBER: _ClassVar[int]
    CUSTOMIZE_TOKEN_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    PROMPT_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    access_token: str
    code: str
    title: str
    icon: str
    icon_type: str
    icon_background: str
    description: str
    default_language: str
    copyright: str
    privacy_policy: str
    custom_disclaimer: str
    customize_domain: str
    customize_token_strategy: str
    prompt_public: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, app_id: _Optional[str] = ..., access_token: _Optional[str] = ..., code: _Optional[str] = ..., title: _Optional[str] = ..., icon: _Optional[str] = ..., icon_type: _Optional[str] = ..., icon_background: _Optional[str] = ..., description: _Optional[str] = ..., default_language: _Optional[str] = ..., copyright: _Optional[str] = ..., privacy_policy: _Optional[str] = ..., custom_disclaimer: _Optional[str] = ..., customize_domain: _Optional[str] = ..., customize_token_strategy: _Optional[str] = ..., prompt_public: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateAppRequest(_message.Message):
    __slots__ = ("name", "description", "mode", "icon", "icon_type", "icon_background", "model_config")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    ICON_TYPE_FIELD_NUMBER: _ClassVar[int]
    ICON_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    mode: AppMode
    icon: str
    icon_type: str
    icon_background: str
    model_config: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., mode: _Optional[_Union[AppMode, str]] = ..., icon: _Optional[str] = ..., icon_type: _Optional[str] = ..., icon_background: _Optional[str] = ..., model_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetAppRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class ListAppsRequest(_message.Message):
    __slots__ = ("page", "name", "mode", "kind")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    name: str
    mode: AppMode
    kind: AppKind
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., name: _Optional[str] = ..., mode: _Optional[_Union[AppMode, str]] = ..., kind: _Optional[_Union[AppKind, str]] = ...) -> None: ...

class ListAppsResponse(_message.Message):
    __slots__ = ("apps", "page")
    APPS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    apps: _containers.RepeatedCompositeFieldContainer[App]
    page: _common_pb2.PageInfo
    def __init__(self, apps: _Optional[_Iterable[_Union[App, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class DeleteAppRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class CopyAppRequest(_message.Message):
    __slots__ = ("app_id", "name", "description", "mode", "icon", "icon_type", "icon_background")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    ICON_TYPE_FIELD_NUMBER: _ClassVar[int]
    ICON_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    name: str
    description: str
    mode: AppMode
    icon: str
    icon_type: str
    icon_background: str
    def __init__(self, app_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., mode: _Optional[_Union[AppMode, str]] = ..., icon: _Optional[str] = ..., icon_type: _Optional[str] = ..., icon_background: _Optional[str] = ...) -> None: ...

class UpdateAppRequest(_message.Message):
    __slots__ = ("app_id", "name", "description", "icon", "icon_type", "icon_background", "enable_site", "enable_api")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    ICON_TYPE_FIELD_NUMBER: _ClassVar[int]
    ICON_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    ENABLE_SITE_FIELD_NUMBER: _ClassVar[int]
    ENABLE_API_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    name: str
    description: str
    icon: str
    icon_type: str
    icon_background: str
    enable_site: bool
    enable_api: bool
    def __init__(self, app_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon: _Optional[str] = ..., icon_type: _Optional[str] = ..., icon_background: _Optional[str] = ..., enable_site: _Optional[bool] = ..., enable_api: _Optional[bool] = ...) -> None: ...

class SaveModelConfigRequest(_message.Message):
    __slots__ = ("app_id", "config")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    config: _struct_pb2.Struct
    def __init__(self, app_id: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetAppConfigRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class AppConfig(_message.Message):
    __slots__ = ("app_id", "kind", "mode", "name", "config_version", "model_config_version", "model_config", "enable_api", "enable_site", "mini_program_setting", "knowledge_file_ids", "owner_user_id", "owner_company_id", "updated_at")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    ENABLE_API_FIELD_NUMBER: _ClassVar[int]
    ENABLE_SITE_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_SETTING_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_FILE_IDS_FIELD_NUMBER: _ClassVar[int]
    OWNER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    kind: AppKind
    mode: AppMode
    name: str
    config_version: int
    model_config_version: int
    model_config: _struct_pb2.Struct
    enable_api: bool
    enable_site: bool
    mini_program_setting: str
    knowledge_file_ids: _containers.RepeatedScalarFieldContainer[str]
    owner_user_id: int
    owner_company_id: int
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, app_id: _Optional[str] = ..., kind: _Optional[_Union[AppKind, str]] = ..., mode: _Optional[_Union[AppMode, str]] = ..., name: _Optional[str] = ..., config_version: _Optional[int] = ..., model_config_version: _Optional[int] = ..., model_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., enable_api: _Optional[bool] = ..., enable_site: _Optional[bool] = ..., mini_program_setting: _Optional[str] = ..., knowledge_file_ids: _Optional[_Iterable[str]] = ..., owner_user_id: _Optional[int] = ..., owner_company_id: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateSiteRequest(_message.Message):
    __slots__ = ("app_id", "title", "icon", "icon_type", "icon_background", "description", "default_language", "copyright", "privacy_policy", "custom_disclaimer", "customize_domain", "customize_token_strategy", "prompt_public")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    ICON_TYPE_FIELD_NUMBER: _ClassVar[int]
    ICON_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    COPYRIGHT_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_POLICY_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_DISCLAIMER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMIZE_DOMAIN_FIELD_NUMBER: _ClassVar[int]
    CUSTOMIZE_TOKEN_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    PROMPT_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    title: str
    icon: str
    icon_type: str
    icon_background: str
    description: str
    default_language: str
    copyright: str
    privacy_policy: str
    custom_disclaimer: str
    customize_domain: str
    customize_token_strategy: str
    prompt_public: bool
    def __init__(self, app_id: _Optional[str] = ..., title: _Optional[str] = ..., icon: _Optional[str] = ..., icon_type: _Optional[str] = ..., icon_background: _Optional[str] = ..., description: _Optional[str] = ..., default_language: _Optional[str] = ..., copyright: _Optional[str] = ..., privacy_policy: _Optional[str] = ..., custom_disclaimer: _Optional[str] = ..., customize_domain: _Optional[str] = ..., customize_token_strategy: _Optional[str] = ..., prompt_public: _Optional[bool] = ...) -> None: ...

class ResetSiteAccessTokenRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class SaveNexentConfigRequest(_message.Message):
    __slots__ = ("config",)
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: _struct_pb2.Struct
    def __init__(self, config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class LoadNexentConfigRequest(_message.Message):
    __slots__ = ("include_secrets",)
    INCLUDE_SECRETS_FIELD_NUMBER: _ClassVar[int]
    include_secrets: bool
    def __init__(self, include_secrets: _Optional[bool] = ...) -> None: ...

class NexentConfig(_message.Message):
    __slots__ = ("config", "app_id", "updated_at")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    config: _struct_pb2.Struct
    app_id: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., app_id: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ChatSession(_message.Message):
    __slots__ = ("session_id", "command_session_id", "nick_name", "header_url", "session_type", "app_id", "role", "user_id", "created_at")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    NICK_NAME_FIELD_NUMBER: _ClassVar[int]
    HEADER_URL_FIELD_NUMBER: _ClassVar[int]
    SESSION_TYPE_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    command_session_id: str
    nick_name: str
    header_url: str
    session_type: SessionType
    app_id: str
    role: SessionRole
    user_id: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, session_id: _Optional[str] = ..., command_session_id: _Optional[str] = ..., nick_name: _Optional[str] = ..., header_url: _Optional[str] = ..., session_type: _Optional[_Union[SessionType, str]] = ..., app_id: _Optional[str] = ..., role: _Optional[_Union[SessionRole, str]] = ..., user_id: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateMiniProgramRequest(_message.Message):
    __slots__ = ("nick_name", "header_url", "official")
    NICK_NAME_FIELD_NUMBER: _ClassVar[int]
    HEADER_URL_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    nick_name: str
    header_url: str
    official: bool
    def __init__(self, nick_name: _Optional[str] = ..., header_url: _Optional[str] = ..., official: _Optional[bool] = ...) -> None: ...

class MiniProgramSessions(_message.Message):
    __slots__ = ("app_id", "session_id", "command_session_id")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    session_id: str
    command_session_id: str
    def __init__(self, app_id: _Optional[str] = ..., session_id: _Optional[str] = ..., command_session_id: _Optional[str] = ...) -> None: ...

class MiniProgramRef(_message.Message):
    __slots__ = ("app_id", "session_id", "command_session_id")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    session_id: str
    command_session_id: str
    def __init__(self, app_id: _Optional[str] = ..., session_id: _Optional[str] = ..., command_session_id: _Optional[str] = ...) -> None: ...

class MiniProgramSetting(_message.Message):
    __slots__ = ("app_id", "session_id", "command_session_id", "mini_program_name", "mini_program_icon", "mini_program_introduction", "mini_program_instructions", "mini_program_setting", "knowledge_file_ids", "official", "owner_user_id", "updated_at")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_NAME_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_ICON_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_INTRODUCTION_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_SETTING_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_FILE_IDS_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    OWNER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    session_id: str
    command_session_id: str
    mini_program_name: str
    mini_program_icon: str
    mini_program_introduction: str
    mini_program_instructions: str
    mini_program_setting: str
    knowledge_file_ids: _containers.RepeatedScalarFieldContainer[str]
    official: bool
    owner_user_id: int
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, app_id: _Optional[str] = ..., session_id: _Optional[str] = ..., command_session_id: _Optional[str] = ..., mini_program_name: _Optional[str] = ..., mini_program_icon: _Optional[str] = ..., mini_program_introduction: _Optional[str] = ..., mini_program_instructions: _Optional[str] = ..., mini_program_setting: _Optional[str] = ..., knowledge_file_ids: _Optional[_Iterable[str]] = ..., official: _Optional[bool] = ..., owner_user_id: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetMiniProgramSettingRequest(_message.Message):
    __slots__ = ("ref",)
    REF_FIELD_NUMBER: _ClassVar[int]
    ref: MiniProgramRef
    def __init__(self, ref: _Optional[_Union[MiniProgramRef, _Mapping]] = ...) -> None: ...

class KnowledgeBase(_message.Message):
    __slots__ = ("file_ids",)
    FILE_IDS_FIELD_NUMBER: _ClassVar[int]
    file_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, file_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateMiniProgramRequest(_message.Message):
    __slots__ = ("ref", "mini_program_name", "mini_program_icon", "mini_program_introduction", "mini_program_instructions", "mini_program_setting", "knowledge_base")
    REF_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_NAME_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_ICON_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_INTRODUCTION_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    MINI_PROGRAM_SETTING_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_BASE_FIELD_NUMBER: _ClassVar[int]
    ref: MiniProgramRef
    mini_program_name: str
    mini_program_icon: str
    mini_program_introduction: str
    mini_program_instructions: str
    mini_program_setting: str
    knowledge_base: KnowledgeBase
    def __init__(self, ref: _Optional[_Union[MiniProgramRef, _Mapping]] = ..., mini_program_name: _Optional[str] = ..., mini_program_icon: _Optional[str] = ..., mini_program_introduction: _Optional[str] = ..., mini_program_instructions: _Optional[str] = ..., mini_program_setting: _Optional[str] = ..., knowledge_base: _Optional[_Union[KnowledgeBase, _Mapping]] = ...) -> None: ...

class MountFilesRequest(_message.Message):
    __slots__ = ("ref", "file_ids")
    REF_FIELD_NUMBER: _ClassVar[int]
    FILE_IDS_FIELD_NUMBER: _ClassVar[int]
    ref: MiniProgramRef
    file_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ref: _Optional[_Union[MiniProgramRef, _Mapping]] = ..., file_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ShareMiniProgramRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class ListChatSessionsRequest(_message.Message):
    __slots__ = ("session_type",)
    SESSION_TYPE_FIELD_NUMBER: _ClassVar[int]
    session_type: SessionType
    def __init__(self, session_type: _Optional[_Union[SessionType, str]] = ...) -> None: ...

class ListChatSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[ChatSession]
    def __init__(self, sessions: _Optional[_Iterable[_Union[ChatSession, _Mapping]]] = ...) -> None: ...

class GetChatSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...
