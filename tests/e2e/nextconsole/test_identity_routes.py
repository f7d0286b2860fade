"""NextConsole identity routes and token handling, end to end through the launcher's mesh."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.kit.context import Principal
from services.kit.jwt_tokens import SigningKeyPair, issue_token
from tests.e2e.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, MeshClient, sha

SEED_USER_FIELDS = {
    "create_time",
    "last_login_time",
    "update_time",
    "user_account_type",
    "user_age",
    "user_area",
    "user_avatar",
    "user_code",
    "user_company",
    "user_company_id",
    "user_department",
    "user_department_id",
    "user_email",
    "user_expire_time",
    "user_gender",
    "user_id",
    "user_invite_code",
    "user_name",
    "user_nick_name",
    "user_nick_name_py",
    "user_phone",
    "user_point_account",
    "user_position",
    "user_resource_limit",
    "user_role",
    "user_source",
    "user_status",
    "user_wx_avatar",
    "user_wx_nickname",
    "user_wx_openid",
    "user_wx_union_id",
}
POINT_ACCOUNT_FIELDS = {
    "account_id",
    "account_status",
    "account_type",
    "balance",
    "create_time",
    "frozen_balance",
    "id",
    "update_time",
    "user_id",
}
FMT = "%Y-%m-%d %H:%M:%S"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_the_envelope_token_and_full_user(mesh: MeshClient) -> None:
    reply = mesh.http.post(
        "/next_console/login_by_password",
        json={"user_account": ADMIN_ACCOUNT, "user_password": sha(ADMIN_PASSWORD), "session_30_flag": True},
    )
    assert reply.status_code == 200
    assert reply.headers["x-request-id"]
    body = reply.json()
    assert set(body) == {"error_code", "error_message", "error_status", "result"}
    assert (body["error_code"], body["error_message"], body["error_status"]) == (0, "", False)
    result = body["result"]
    assert set(result) == {"token", "token_type", "expire_time", "user_info"}
    assert result["token_type"] == "Bearer"
    lifetime = datetime.strptime(result["expire_time"], FMT) - datetime.utcnow()
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30, minutes=1)
    assert SEED_USER_FIELDS <= set(result["user_info"])
    assert set(result["user_info"]["user_point_account"]) == POINT_ACCOUNT_FIELDS
    assert isinstance(result["user_info"]["user_id"], int)
    assert result["user_info"]["user_role"] == ["admin"]


def test_seven_day_token_without_the_flag(mesh: MeshClient) -> None:
    reply = mesh.http.post(
        "/next_console/login_by_password",
        json={"user_account": ADMIN_ACCOUNT, "user_password": sha(ADMIN_PASSWORD)},
    )
    lifetime = datetime.strptime(reply.json()["result"]["expire_time"], FMT) - datetime.utcnow()
    assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7, minutes=1)


def test_wrong_password_and_unknown_account_look_the_same(mesh: MeshClient) -> None:
    bodies = []
    for account, password in ((ADMIN_ACCOUNT, "not-the-password"), ("nobody@e2e.test", ADMIN_PASSWORD)):
        reply = mesh.http.post(
            "/next_console/login_by_password", json={"user_account": account, "user_password": sha(password)}
        )
        assert reply.status_code == 401
        bodies.append(reply.json())
    assert (
        bodies[0]
        == bodies[1]
        == {
            "error_code": 401,
            "error_message": "账号或者密码错误! Wrong account or password.",
            "error_status": True,
            "result": None,
        }
    )
    # The client's language when it names one (the same rule in every dialect: gateway/sign_in_messages.py).
    for language, message in (
        ("zh-CN,zh;q=0.9", "账号或者密码错误!"),
        ("en-US,en;q=0.8", "Wrong account or password."),
    ):
        reply = mesh.http.post(
            "/next_console/login_by_password",
            json={"user_account": "nobody@e2e.test", "user_password": sha(ADMIN_PASSWORD)},
            headers={"Accept-Language": language},
        )
        assert (reply.status_code, reply.json()["error_message"]) == (401, message)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_password": "a" * 64}, "user_account"),
        ({"user_account": ADMIN_ACCOUNT}, "user_password"),
        ({"user_account": ADMIN_ACCOUNT, "user_password": "plain-text"}, "user_password"),
        ({"user_account": 12345, "user_password": "a" * 64}, "user_account"),
        (
            {"user_account": ADMIN_ACCOUNT, "user_password": "a" * 64, "session_30_flag": "yes"},
            "session_30_flag",
        ),
    ],
)
def test_bad_login_input_names_the_field(mesh: MeshClient, body: dict[str, object], field: str) -> None:
    reply = mesh.http.post("/next_console/login_by_password", json=body)
    assert reply.status_code == 400
    envelope = reply.json()
    assert envelope["error_code"] == 1002 and envelope["error_status"] is True
    assert field in envelope["error_message"]
    assert envelope["result"]["field"] == field


def test_non_json_body_is_a_clear_400(mesh: MeshClient) -> None:
    reply = mesh.http.post(
        "/next_console/login_by_password", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json()["error_code"] == 1002


def test_users_get_and_update_lock_protected_fields(mesh: MeshClient) -> None:
    mesh.create_user("carol@acme.test", "carol-pass-1", "Acme Update", nick_name="Carol")
    token = mesh.login("carol@acme.test", "carol-pass-1")
    me = mesh.http.post("/next_console/user_center/users/get", headers=bearer(token)).json()["result"]
    assert SEED_USER_FIELDS <= set(me)
    assert (me["user_nick_name"], me["user_company"], me["user_email"]) == (
        "Carol",
        "Acme Update",
        "carol@acme.test",
    )

    updated = mesh.http.post(
        "/next_console/user_center/users/update",
        json={"user_nick_name": "Caz", "user_avatar": "https://img.test/caz.png", "user_age": 31},
        headers=bearer(token),
    )
    assert updated.status_code == 200
    assert updated.json()["result"]["user_nick_name"] == "Caz"

    refused = mesh.http.post(
        "/next_console/user_center/users/update",
        json={"user_nick_name": "Mallory", "user_company_id": 1, "user_role": ["admin"]},
        headers=bearer(token),
    )
    assert refused.status_code == 403
    assert refused.json()["error_status"] is True
    assert "locked" in refused.json()["error_message"]
    after = mesh.http.post("/next_console/user_center/users/get", headers=bearer(token)).json()["result"]
    assert (after["user_nick_name"], after["user_role"], after["user_age"]) == ("Caz", ["user"], 31)

    wrong_type = mesh.http.post(
        "/next_console/user_center/users/update", json={"user_age": "thirty"}, headers=bearer(token)
    )
    assert wrong_type.status_code == 400
    assert wrong_type.json()["result"]["field"] == "user_age"


def test_refresh_token_issues_a_token_until_the_requested_time(mesh: MeshClient) -> None:
    token = mesh.admin_token()
    wanted = (datetime.utcnow() + timedelta(days=3)).replace(microsecond=0)
    reply = mesh.http.post(
        "/next_console/user_center/refresh_token",
        json={"expire_time": wanted.strftime(FMT)},
        headers=bearer(token),
    )
    assert reply.status_code == 200, reply.text
    result = reply.json()["result"]
    assert result["expire_time"] == wanted.strftime(FMT)
    claims = jwt.decode(result["token"], options={"verify_signature": False})
    assert claims["exp"] == int(wanted.replace(tzinfo=UTC).timestamp())
    works = mesh.http.post("/next_console/user_center/users/get", headers=bearer(result["token"]))
    assert works.status_code == 200


@pytest.mark.parametrize(
    "expire_time",
    [
        "2001-01-01 00:00:00",
        "2030/01/01 00:00:00",
        "tomorrow",
        (datetime.utcnow() + timedelta(days=400)).strftime(FMT),
    ],
)
def test_refresh_token_refuses_bad_times(mesh: MeshClient, expire_time: str) -> None:
    reply = mesh.http.post(
        "/next_console/user_center/refresh_token",
        json={"expire_time": expire_time},
        headers=bearer(mesh.admin_token()),
    )
    assert reply.status_code == 400
    assert reply.json()["result"]["field"] == "expire_time"


def test_missing_malformed_forged_and_expired_tokens_get_401(mesh: MeshClient) -> None:
    real = mesh.admin_token()
    kid = jwt.get_unverified_header(real)["kid"]
    attacker = SigningKeyPair(kid=kid, private_key=SigningKeyPair.generate().private_key)
    admin = Principal(user_id=1, company_id=1, roles=("admin",))
    forged = issue_token(attacker, principal=admin, expires_at=int(time.time()) + 600, token_kind="login")
    past = int(time.time()) - 7200
    expired = _expired_token_signed_by_identity(mesh, kid, past)
    cases = {
        "missing": {},
        "garbage": bearer("abc.def"),
        "forged": bearer(forged),
        "expired": bearer(expired),
    }
    for case, headers in cases.items():
        reply = mesh.http.post("/next_console/user_center/users/get", headers=headers)
        assert reply.status_code == 401, case
        body = reply.json()
        assert body["error_code"] == 401 and body["error_status"] is True, case
    expired_reply = mesh.http.post("/next_console/user_center/users/get", headers=bearer(expired))
    assert "expired" in expired_reply.json()["error_message"]


def _expired_token_signed_by_identity(mesh: MeshClient, kid: str, issued_at: int) -> str:
    """Sign with identity's real key (read from its store) so only the expiry can make it fail."""
    import sqlite3

    from services.kit.crypto import SecretBox

    data_dir = mesh.mesh.data_dir
    secret = (data_dir / "secret_key").read_text().strip()
    with sqlite3.connect(data_dir / "identity.db") as db:
        (encrypted,) = db.execute("SELECT private_key_encrypted FROM signing_keys WHERE kid = ?", (kid,)).fetchone()
    pair = SigningKeyPair.from_pem(kid, SecretBox(secret, purpose="identity-signing-key").decrypt(encrypted))
    principal = Principal(user_id=1, company_id=1, roles=("admin",))
    return issue_token(pair, principal=principal, expires_at=issued_at + 60, token_kind="login", now=issued_at)
