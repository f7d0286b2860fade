from google.protobuf import struct_pb2 as _struct_pb2
from meshconsole.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LoginRequest(_message.Message):
    __slots__ = ("account", "password_sha256", "session_30", "client_ip")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_SHA256_FIELD_NUMBER: _ClassVar[int]
    SESSION_30_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    account: str
    password_sha256: str
    session_30: bool
    client_ip: str
    def __init__(self, account: _Optional[str] = ..., password_sha256: _Optional[str] = ..., session_30: _Optional[bool] = ..., client_ip: _Optional[str] = ...) -> None: ...

class IssueTokenRequest(_message.Message):
    __slots__ = ("expire_at_unix", "api_key_id")
    EXPIRE_AT_UNIX_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    expire_at_unix: int
    api_key_id: str
    def __init__(self, expire_at_unix: _Optional[int] = ..., api_key_id: _Optional[str] = ...) -> None: ...

class TokenResponse(_message.Message):
    __slots__ = ("token", "token_type", "expire_time", "expire_at_unix", "user")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_AT_UNIX_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    token: str
    token_type: str
    expire_time: str
    expire_at_unix: int
    user: User
    def __init__(self, token: _Optional[str] = ..., token_type: _Optional[str] = ..., expire_time: _Optional[str] = ..., expire_at_unix: _Optional[int] = ..., user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class SigningKey(_message.Message):
    __slots__ = ("kid", "algorithm", "public_key_pem")
    KID_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_PEM_FIELD_NUMBER: _ClassVar[int]
    kid: str
    algorithm: str
    public_key_pem: str
    def __init__(self, kid: _Optional[str] = ..., algorithm: _Optional[str] = ..., public_key_pem: _Optional[str] = ...) -> None: ...

class SigningKeys(_message.Message):
    __slots__ = ("keys", "issuer")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[SigningKey]
    issuer: str
    def __init__(self, keys: _Optional[_Iterable[_Union[SigningKey, _Mapping]]] = ..., issuer: _Optional[str] = ...) -> None: ...

class ResolveApiKeyRequest(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    def __init__(self, key: _Optional[str] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    def __init__(self, user_id: _Optional[int] = ...) -> None: ...

class UpdateUserRequest(_message.Message):
    __slots__ = ("fields",)
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    fields: _struct_pb2.Struct
    def __init__(self, fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class PointAccount(_message.Message):
    __slots__ = ("account_id", "account_status", "account_type", "balance", "create_time", "frozen_balance", "id", "update_time", "user_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FROZEN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    account_status: str
    account_type: str
    balance: float
    create_time: str
    frozen_balance: float
    id: int
    update_time: str
    user_id: int
    def __init__(self, account_id: _Optional[str] = ..., account_status: _Optional[str] = ..., account_type: _Optional[str] = ..., balance: _Optional[float] = ..., create_time: _Optional[str] = ..., frozen_balance: _Optional[float] = ..., id: _Optional[int] = ..., update_time: _Optional[str] = ..., user_id: _Optional[int] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("user_id", "user_account", "user_code", "user_name", "user_nick_name", "user_nick_name_py", "user_email", "user_phone", "user_avatar", "user_gender", "user_age", "user_area", "user_position", "user_account_type", "user_company", "user_company_id", "user_department", "user_department_id", "user_expire_time", "user_invite_code", "user_role", "user_source", "user_status", "user_resource_limit", "user_wx_avatar", "user_wx_nickname", "user_wx_openid", "user_wx_union_id", "user_point_account", "create_time", "update_time", "last_login_time")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    USER_CODE_FIELD_NUMBER: _ClassVar[int]
    USER_NAME_FIELD_NUMBER: _ClassVar[int]
    USER_NICK_NAME_FIELD_NUMBER: _ClassVar[int]
    USER_NICK_NAME_PY_FIELD_NUMBER: _ClassVar[int]
    USER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    USER_PHONE_FIELD_NUMBER: _ClassVar[int]
    USER_AVATAR_FIELD_NUMBER: _ClassVar[int]
    USER_GENDER_FIELD_NUMBER: _ClassVar[int]
    USER_AGE_FIELD_NUMBER: _ClassVar[int]
    USER_AREA_FIELD_NUMBER: _ClassVar[int]
    USER_POSITION_FIELD_NUMBER: _ClassVar[int]
    USER_ACCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_COMPANY_FIELD_NUMBER: _ClassVar[int]
    USER_COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    USER_DEPARTMENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    USER_INVITE_CODE_FIELD_NUMBER: _ClassVar[int]
    USER_ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_SOURCE_FIELD_NUMBER: _ClassVar[int]
    USER_STATUS_FIELD_NUMBER: _ClassVar[int]
    USER_RESOURCE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    USER_WX_AVATAR_FIELD_NUMBER: _ClassVar[int]
    USER_WX_NICKNAME_FIELD_NUMBER: _ClassVar[int]
    USER_WX_OPENID_FIELD_NUMBER: _ClassVar[int]
    USER_WX_UNION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_POINT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_TIME_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    user_account: str
    user_code: str
    user_name: str
    user_nick_name: str
    user_nick_name_py: str
    user_email: str
    user_phone: str
    user_avatar: str
    user_gender: str
    user_age: int
    user_area: str
    user_position: str
    user_account_type: str
    user_company: str
    user_company_id: int
    user_department: str
    user_department_id: int
    user_expire_time: str
    user_invite_code: str
    user_role: _containers.RepeatedScalarFieldContainer[str]
    user_source: str
    user_status: int
    user_resource_limit: int
    user_wx_avatar: str
    user_wx_nickname: str
    user_wx_openid: str
    user_wx_union_id: str
    user_point_account: PointAccount
    create_time: str
    update_time: str
    last_login_time: str
    def __init__(self, user_id: _Optional[int] = ..., user_account: _Optional[str] = ..., user_code: _Optional[str] = ..., user_name: _Optional[str] = ..., user_nick_name: _Optional[str] = ..., user_nick_name_py: _Optional[str] = ..., user_email: _Optional[str] = ..., user_phone: _Optional[str] = ..., user_avatar: _Optional[str] = ..., user_gender: _Optional[str] = ..., user_age: _Optional[int] = ..., user_area: _Optional[str] = ..., user_position: _Optional[str] = ..., user_account_type: _Optional[str] = ..., user_company: _Optional[str] = ..., user_company_id: _Optional[int] = ..., user_department: _Optional[str] = ..., user_department_id: _Optional[int] = ..., user_expire_time: _Optional[str] = ..., user_invite_code: _Optional[str] = ..., user_role: _Optional[_Iterable[str]] = ..., user_source: _Optional[str] = ..., user_status: _Optional[int] = ..., user_resource_limit: _Optional[int] = ..., user_wx_avatar: _Optional[str] = ..., user_wx_nickname: _Optional[str] = ..., user_wx_openid: _Optional[str] = ..., user_wx_union_id: _Optional[str] = ..., user_point_account: _Optional[_Union[PointAccount, _Mapping]] = ..., create_time: _Optional[str] = ..., update_time: _Optional[str] = ..., last_login_time: _Optional[str] = ...) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("account", "password", "company", "nick_name", "roles", "password_sha256")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    NICK_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_SHA256_FIELD_NUMBER: _ClassVar[int]
    account: str
    password: str
    company: str
    nick_name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    password_sha256: str
    def __init__(self, account: _Optional[str] = ..., password: _Optional[str] = ..., company: _Optional[str] = ..., nick_name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., password_sha256: _Optional[str] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("user_id", "kind")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    kind: str
    def __init__(self, user_id: _Optional[int] = ..., kind: _Optional[str] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("key_id", "key", "kind", "user_id", "company_id", "created_at")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    key: str
    kind: str
    user_id: int
    company_id: int
    created_at: str
    def __init__(self, key_id: _Optional[str] = ..., key: _Optional[str] = ..., kind: _Optional[str] = ..., user_id: _Optional[int] = ..., company_id: _Optional[int] = ..., created_at: _Optional[str] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("page",)
    PAGE_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users", "page")
    USERS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    page: _common_pb2.PageInfo
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class SetUserAccessRequest(_message.Message):
    __slots__ = ("user_id", "status", "password", "end_sessions", "password_sha256")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    END_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_SHA256_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    status: int
    password: str
    end_sessions: bool
    password_sha256: str
    def __init__(self, user_id: _Optional[int] = ..., status: _Optional[int] = ..., password: _Optional[str] = ..., end_sessions: _Optional[bool] = ..., password_sha256: _Optional[str] = ...) -> None: ...

class UserAccess(_message.Message):
    __slots__ = ("user_id", "status", "tokens_not_before_unix")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_NOT_BEFORE_UNIX_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    status: int
    tokens_not_before_unix: int
    def __init__(self, user_id: _Optional[int] = ..., status: _Optional[int] = ..., tokens_not_before_unix: _Optional[int] = ...) -> None: ...

class ListRevocationsRequest(_message.Message):
    __slots__ = ("since_unix",)
    SINCE_UNIX_FIELD_NUMBER: _ClassVar[int]
    since_unix: int
    def __init__(self, since_unix: _Optional[int] = ...) -> None: ...

class RevokedApiKey(_message.Message):
    __slots__ = ("key_id", "revoked_at_unix")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_UNIX_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    revoked_at_unix: int
    def __init__(self, key_id: _Optional[str] = ..., revoked_at_unix: _Optional[int] = ...) -> None: ...

class TokenCutoff(_message.Message):
    __slots__ = ("user_id", "not_before_unix")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_UNIX_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    not_before_unix: int
    def __init__(self, user_id: _Optional[int] = ..., not_before_unix: _Optional[int] = ...) -> None: ...

class Revocations(_message.Message):
    __slots__ = ("keys", "users", "server_time_unix", "horizon_unix")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_UNIX_FIELD_NUMBER: _ClassVar[int]
    HORIZON_UNIX_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[RevokedApiKey]
    users: _containers.RepeatedCompositeFieldContainer[TokenCutoff]
    server_time_unix: int
    horizon_unix: int
    def __init__(self, keys: _Optional[_Iterable[_Union[RevokedApiKey, _Mapping]]] = ..., users: _Optional[_Iterable[_Union[TokenCutoff, _Mapping]]] = ..., server_time_unix: _Optional[int] = ..., horizon_unix: _Optional[int] = ...) -> None: ...
