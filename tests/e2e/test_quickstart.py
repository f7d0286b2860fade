"""The README quickstart, executed: `make demo`, `make run` with an OpenAI-compatible endpoint, and a provider
registered at run time, each followed by the curl walk-through and the openai SDK example (docs/quickstart/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import orjson

from deploy.local.demo import DEMO_MODEL
from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.make_helpers import REPO_ROOT, Made, made

QUICKSTART = REPO_ROOT / "docs" / "quickstart"
QUESTIONS = ("Hello from NextConsole", "Hello from Dify", "Hello from Nexent", "Hello from lbai")


def walkthrough(mesh: Made, **env: str) -> str:
    done = subprocess.run(
        ["bash", str(QUICKSTART / "walkthrough.sh")], env=mesh.env(**env), capture_output=True, timeout=180
    )
    output = done.stdout.decode()
    assert done.returncode == 0, output[-3000:] + done.stderr.decode()[-3000:]
    return output


def answers(output: str) -> dict[str, str]:
    """The answer each dialect streamed, joined from its frames (lbai: its one JSON reply)."""
    sections = output.split("== 4")[1:]
    found: dict[str, str] = {}
    for section, dialect in zip(sections, ("nextconsole", "dify", "nexent", "lbai"), strict=False):
        text = ""
        for line in section.splitlines():
            if line.startswith("data: {"):
                frame = orjson.loads(line[6:])
                if dialect == "nextconsole" and frame.get("choices"):
                    text += frame["choices"][0]["delta"].get("content") or ""
                elif dialect == "dify" and frame.get("event") == "message":
                    text += frame["answer"]
                elif dialect == "nexent" and frame.get("type") == "final_answer":
                    text += frame["content"]
            elif dialect == "lbai" and line.startswith("{"):
                text = orjson.loads(line)["data"]["message"]["text"]
        found[dialect] = text
    return found


def openai_sdk_example(mesh: Made, walkthrough_output: str) -> str:
    exports = walkthrough_output.strip().splitlines()[-1].removeprefix("export ").split()
    env = mesh.env(**dict(item.split("=", 1) for item in exports))
    done = subprocess.run(
        [sys.executable, str(QUICKSTART / "openai_sdk.py")], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return done.stdout.decode().strip()


def test_make_demo_answers_every_dialect_offline_and_stops_on_sigint_to_make(tmp_path: Path) -> None:
    with made("demo", tmp_path, terminal=True) as mesh:
        before, banner = mesh.text().rsplit("MeshConsole gateway listening on", 1)
        assert DEMO_MODEL in banner and f"{mesh.base_url}/docs" in banner
        assert str(mesh.data_dir / "admin_password") in banner
        # On a terminal the logs are lines for people (structlog's console renderer), not JSON.
        logs = [line for line in before.splitlines() if "gateway_started" in line]
        assert logs and not any(line.lstrip().startswith("{") for line in logs), before[-2000:]
        output = walkthrough(mesh)
        got = answers(output)
        for (dialect, text), question in zip(got.items(), QUESTIONS, strict=True):
            assert text == f"Echo: {question} ({DEMO_MODEL}; connect a real model to get answers)", dialect
        sdk = openai_sdk_example(mesh, output)
        assert sdk == f"Result: Echo: Hello from the openai SDK ({DEMO_MODEL}; connect a real model to get answers)"
        mesh.interrupt_make_alone()
        assert "MeshConsole stopped" in mesh.text()


def test_make_run_with_an_openai_compatible_endpoint(tmp_path: Path) -> None:
    # Stands in for OpenAI, or a local Ollama serving llama3.2 (README case 1).
    with ScriptedUpstream(models=("llama3.2",), api_key="ollama") as ollama:
        ollama.default = Script(chunks=["Hi", " there", "!"])
        settings = {"OPENAI_BASE_URL": ollama.base_url, "OPENAI_API_KEY": "ollama", "MESH_DEFAULT_MODEL": "llama3.2"}
        with made("run", tmp_path, **settings) as mesh:
            output = walkthrough(mesh)
            assert set(answers(output).values()) == {"Hi there!"}
            assert openai_sdk_example(mesh, output) == "Result: Hi there!"
            sent = ollama.chat_requests()
            assert len(sent) == 5 and {r.body["model"] for r in sent} == {"llama3.2"}
            assert [r.body["messages"][-1]["content"] for r in sent[:4]] == list(QUESTIONS)


def test_a_provider_registered_at_run_time(tmp_path: Path) -> None:
    with ScriptedUpstream(models=("llama3.2",), api_key="ollama") as ollama:
        ollama.default = Script(chunks=["Registered", " model", " here."])
        with made("run", tmp_path, MESH_MODEL_ENDPOINT_NETWORKS="127.0.0.1/32") as mesh:
            no_model = _without_a_provider(mesh)
            assert "no model provider is configured" in no_model
            model = {"MODEL_BASE_URL": ollama.base_url, "MODEL_NAME": "llama3.2", "MODEL_API_KEY": "ollama"}
            output = walkthrough(mesh, **model)
            assert "Model created successfully" in output
            assert set(answers(output).values()) == {"Registered model here."}
            assert openai_sdk_example(mesh, output) == "Result: Registered model here."


def _without_a_provider(mesh: Made) -> str:
    """Before any model exists, init_session works and a chat answers why it cannot."""
    password = (mesh.data_dir / "admin_password").read_text().strip()
    env = mesh.env(MESH_ADMIN_PASSWORD=password)
    with httpx.Client(base_url=mesh.base_url, timeout=30) as http:
        digest = subprocess.run(
            ["bash", "-c", f'source {QUICKSTART / "common.sh"}; sha256_hex "$MESH_ADMIN_PASSWORD"'],
            env=env,
            capture_output=True,
            check=True,
        ).stdout.decode()
        login = {"user_account": "admin@meshconsole.local", "user_password": digest.strip()}
        token = http.post("/next_console/login_by_password", json=login).json()["result"]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        app_id = http.post("/console/api/apps", json={"name": "No model", "mode": "chat"}, headers=headers).json()["id"]
        session = http.post("/next_console/app_center/app_run/init_session", json={"app_code": app_id}, headers=headers)
        assert session.status_code == 200 and session.json()["result"]["session_llm_code"] == "", session.text
        chat = http.post(
            "/next_console/app_center/app_run/v2/chat/completions",
            json={"app_code": app_id, "messages": [{"role": "user", "content": "hi"}]},
            headers=headers,
        )
        assert chat.status_code == 400, chat.text
        return str(chat.json()["error_message"])
