"""The admin CLI's HTTP client: where the gateway is, who signs in, and the calls it makes."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_ACCOUNT = "admin@meshconsole.local"


class CliError(Exception):
    """A failure to show the operator as one line (the gateway's own message when it gave one)."""


def password_sha256(raw: str) -> str:
    """What login and the admin API take: sha256(raw.strip()) as hex; the raw password never leaves this host."""
    return hashlib.sha256(raw.strip().encode("utf-8")).hexdigest()


def _message(reply: httpx.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200] or reply.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "message", "error_message"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    return str(body)[:200]


@dataclass
class Login:
    """How to sign in: a token or API key, or an account and its password (default: make run's admin)."""

    token: str = ""
    account: str = ""
    password: str = ""

    @classmethod
    def from_env(cls, *, token: str = "", account: str = "", password: str = "") -> Login:
        account = account or os.environ.get("MESH_ADMIN_ACCOUNT") or DEFAULT_ACCOUNT
        password = password or os.environ.get("MESH_ADMIN_PASSWORD", "")
        if not token and not password:
            # make run keeps a generated admin password here.
            kept = Path(os.environ.get("MESH_DATA_DIR") or ".data") / "admin_password"
            if kept.is_file():
                password = kept.read_text().strip()
        return cls(token=token or os.environ.get("MESH_TOKEN", ""), account=account, password=password)


class AdminClient:
    """Calls the gateway as an admin; every failure becomes a CliError naming what the gateway said."""

    def __init__(self, *, url: str, login: Login, timeout_s: float = 30.0) -> None:
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s)
        self.login = login
        self._token = login.token

    def close(self) -> None:
        self.http.close()

    def token(self) -> str:
        if self._token:
            return self._token
        if not self.login.password:
            raise CliError("no credentials: pass --token, or --account with --password (or MESH_ADMIN_PASSWORD)")
        body = {"user_account": self.login.account, "user_password": password_sha256(self.login.password)}
        reply = self._send("POST", "/next_console/login_by_password", json=body, auth=False)
        self._token = str(reply["result"]["token"])
        return self._token

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
        try:
            reply = self.http.request(method, path, headers={**headers, "Accept-Language": "en"}, **kwargs)
        except httpx.HTTPError as error:
            raise CliError(f"cannot reach the gateway at {self.http.base_url}: {error}") from None
        if reply.status_code >= 400:
            raise CliError(f"{method} {path} answered {reply.status_code}: {_message(reply)}")
        return reply.json() if reply.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self._send("GET", path, params=params or None)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("POST", path, json=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self._send("DELETE", path)
