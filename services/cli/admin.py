"""`meshconsole admin`: users, API keys, passwords, model providers, health and queues, as tables or JSON."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.cli.client import DEFAULT_URL, AdminClient, CliError, Login, password_sha256

app = typer.Typer(help="Operate a running MeshConsole through its gateway's admin API.", no_args_is_help=True)
users = typer.Typer(help="Create, list, disable and enable users; reset passwords.", no_args_is_help=True)
keys = typer.Typer(help="Issue and revoke API keys.", no_args_is_help=True)
models = typer.Typer(help="Register model providers for the signed-in admin's company.", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(keys, name="keys")
app.add_typer(models, name="models")
TASKS_STREAM = "MESH_TASKS"


@dataclass
class Context:
    client: AdminClient
    as_json: bool
    out: Console


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(envvar="MESH_URL", help="The gateway.")] = DEFAULT_URL,
    token: Annotated[str, typer.Option(envvar="MESH_TOKEN", help="An admin token or API key.")] = "",
    account: Annotated[str, typer.Option(help="Admin account (default MESH_ADMIN_ACCOUNT).")] = "",
    password: Annotated[str, typer.Option(help="Admin password (default MESH_ADMIN_PASSWORD or .data).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout, for scripts.")] = False,
) -> None:
    client = AdminClient(url=url, login=Login.from_env(token=token, account=account, password=password))
    ctx.obj = Context(client=client, as_json=as_json, out=Console())
    ctx.call_on_close(client.close)


@contextmanager
def _failures() -> Iterator[None]:
    try:
        yield
    except CliError as error:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {error}", markup=True)
        raise typer.Exit(1) from None


def _emit(ctx: typer.Context, data: Any, *, columns: list[str] | None = None, title: str = "") -> None:
    """JSON with --json; otherwise a table of rows (columns given) or key/value lines."""
    state: Context = ctx.obj
    if state.as_json:
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    if columns is not None:
        table = Table(*columns, title=title or None)
        for row in data:
            table.add_row(*(str(row.get(c, "")) for c in columns))
        state.out.print(table)
        return
    for key, value in data.items():
        state.out.print(f"[bold]{key}[/bold]: {value}")


def _new_password(raw: str | None, digest: str | None) -> dict[str, str]:
    if digest:
        return {"password_sha256": digest}
    raw = raw or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(raw.strip()) < 8:
        raise CliError("a password needs at least 8 characters")
    return {"password_sha256": password_sha256(raw)}


@users.command("create")
def create_user(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Email address or phone number.")],
    company: Annotated[str, typer.Option(help="The company; made when new.")],
    password: Annotated[str | None, typer.Option(help="Raw password; prompted when neither form is given.")] = None,
    password_sha256_: Annotated[
        str | None, typer.Option("--password-sha256", help="sha256(password.strip()) hex, as login takes it.")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin of their company.")] = False,
    nick_name: str = "",
) -> None:
    """Create a user; the password travels as its sha256 digest only."""
    with _failures():
        body = {"account": account, "company": company, "nick_name": nick_name, "roles": ["admin" if admin else "user"]}
        _emit(ctx, ctx.obj.client.post("/admin/v1/users", {**body, **_new_password(password, password_sha256_)}))


@users.command("list")
def list_users(ctx: typer.Context, page: int = 1, limit: int = 50) -> None:
    """A page of users."""
    with _failures():
        reply = ctx.obj.client.get("/admin/v1/users", page=page, limit=limit)
    if ctx.obj.as_json:
        _emit(ctx, reply)
        return
    rows = [
        {
            **u,
            "roles": ",".join(u.get("user_role", [])),
            "status": "active" if u.get("user_status") == 1 else "disabled",
        }
        for u in reply["data"]
    ]
    title = f"users {len(rows)} of {reply['total']} (page {reply['page']})"
    _emit(ctx, rows, columns=["user_id", "user_account", "user_company", "roles", "status"], title=title)


def _user_status(user: dict[str, Any]) -> str:
    return "active" if user.get("user_status") == 1 else "disabled"


def _set_access(ctx: typer.Context, user_id: int, body: dict[str, Any]) -> None:
    with _failures():
        _emit(ctx, ctx.obj.client.patch(f"/admin/v1/users/{user_id}", body))


@users.command("disable")
def disable_user(ctx: typer.Context, user_id: int) -> None:
    """Disable a user: their tokens, keys and logins stop working."""
    _set_access(ctx, user_id, {"status": "disabled"})


@users.command("enable")
def enable_user(ctx: typer.Context, user_id: int) -> None:
    """Let a disabled user sign in again (their old tokens stay dead)."""
    _set_access(ctx, user_id, {"status": "active"})


@users.command("reset-password")
def reset_password(
    ctx: typer.Context,
    user_id: int,
    password: Annotated[str | None, typer.Option(help="Raw password; prompted when neither form is given.")] = None,
    password_sha256_: Annotated[str | None, typer.Option("--password-sha256", help="The digest instead.")] = None,
) -> None:
    """Set a new password; every token issued before it stops working."""
    with _failures():
        body = _new_password(password, password_sha256_)
    _set_access(ctx, user_id, body)


@keys.command("issue")
def issue_key(
    ctx: typer.Context,
    user_id: int,
    company: Annotated[bool, typer.Option("--company", help="A cpn- key acting for the whole company.")] = False,
) -> None:
    """Issue a user- (or cpn-) key; it is shown only now."""
    with _failures():
        _emit(
            ctx,
            ctx.obj.client.post("/admin/v1/api-keys", {"user_id": user_id, "kind": "company" if company else "user"}),
        )


@keys.command("revoke")
def revoke_key(ctx: typer.Context, key_id: str) -> None:
    """Revoke a key and every token minted from it."""
    with _failures():
        _emit(ctx, ctx.obj.client.delete(f"/admin/v1/api-keys/{key_id}"))


@models.command("register")
def register_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The model as the endpoint names it, e.g. llama3.2.")],
    base_url: Annotated[str, typer.Option(help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1.")],
    api_key: str = "none",
    model_type: Annotated[str, typer.Option("--type", help="llm, embedding, rerank, stt, tts or vlm.")] = "llm",
    default: Annotated[bool, typer.Option("--default", help="The company's default model.")] = False,
    verify: Annotated[bool, typer.Option(help="Check the endpoint with a real call first.")] = True,
) -> None:
    """Register a model for the signed-in admin's company (Nexent's /api/model routes)."""
    body = {
        "model_name": name,
        "model_type": model_type,
        "base_url": base_url,
        "api_key": api_key,
        "is_default": default,
    }
    with _failures():
        client = ctx.obj.client
        if verify:
            check = client.post("/api/model/verify_config", body)
            if not (check.get("data") or {}).get("connectivity"):
                raise CliError(f"the endpoint did not answer as expected: {check.get('message') or check}")
        client.post("/api/model/create", body)
        listed = {m["model_name"]: m for m in client.get("/api/model/list")["data"]}
    entry = listed.get(name, {"model_name": name})
    _emit(ctx, {k: entry.get(k) for k in ("model_name", "model_type", "base_url", "is_default", "connect_status")})


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Each service's health and the gateway's dependencies."""
    with _failures():
        reply = ctx.obj.client.get("/admin/v1/status")
    if ctx.obj.as_json:
        _emit(ctx, reply)
        return
    rows = [{"part": n, "state": s} for n, s in {**reply["services"], **reply["dependencies"]}.items()]
    _emit(ctx, rows, columns=["part", "state"], title=f"MeshConsole: {reply['status']}")


@app.command("queues")
def queues(ctx: typer.Context) -> None:
    """JetStream streams, each consumer's backlog, and the dead letters."""
    with _failures():
        reply = ctx.obj.client.get("/admin/v1/queues")
    if ctx.obj.as_json:
        _emit(ctx, reply)
        return
    rows = [
        {"stream": s["name"], "messages": s["messages"], **c}
        for s in reply["streams"]
        for c in (s["consumers"] or [{"name": "-", "pending": "", "in_flight": "", "redelivered": ""}])
    ]
    columns = ["stream", "messages", "name", "pending", "in_flight", "redelivered"]
    _emit(ctx, rows, columns=columns, title=f"queues (dead letters: {reply['dead_letters']})")


def _queued_tasks(client: AdminClient) -> int:
    streams = client.get("/admin/v1/queues")["streams"]
    return next((int(s["messages"]) for s in streams if s["name"] == TASKS_STREAM), 0)


@app.command("reindex")
def reindex(
    ctx: typer.Context,
    resource_ids: Annotated[list[str], typer.Argument(help="NextConsole resource ids to rebuild.")],
    owner_token: Annotated[str, typer.Option(help="A token or key of the resources' owner.")],
    timeout_s: Annotated[float, typer.Option(help="Give up waiting after this many seconds.")] = 600.0,
) -> None:
    """Rebuild resources' vectors, with a progress bar until the task queue has drained."""
    state: Context = ctx.obj
    with _failures():
        owner = AdminClient(url=str(state.client.http.base_url), login=Login(token=owner_token))
        try:
            built = owner.post("/next_console/resources/ref/rebuild", {"resource_list": resource_ids})
        finally:
            owner.close()
        total = int(built["result"]["build_cnt"])
        done, deadline = 0, time.monotonic() + timeout_s
        columns = [TextColumn("re-indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=Console(stderr=True), disable=state.as_json) as progress:
            bar = progress.add_task("reindex", total=total)
            while done < total:
                done = total - min(total, _queued_tasks(state.client))
                progress.update(bar, completed=done)
                if done >= total:
                    break
                if time.monotonic() > deadline:
                    raise CliError(f"{total - done} of {total} rebuilds still queued after {timeout_s:g}s")
                time.sleep(0.5)
    _emit(ctx, {"queued": total, "drained": done})
