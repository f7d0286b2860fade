"""AgentService.RunAgent in-process: Nexent frames of a tool run, stop mid-run keeping the steps, tenancy."""

from __future__ import annotations

import asyncio

import grpc
import orjson
import pytest
from google.protobuf import struct_pb2
from meshconsole.apps.v1 import apps_pb2, apps_pb2_grpc
from meshconsole.chat.v1 import chat_pb2

from services.apps.app import AppsProcess
from services.kit import grpc_client
from services.kit.testing.openai_upstream import Script, ScriptedUpstream, ToolCallScript
from tests.service.agents.conftest import ALICE, BOB, CAROL, AgentEnv, aged_md, drain, md, units
from tests.service.files_support import put

NOTE = "The vault combination is 31-07-1999 and only the night guard knows it."


def run_request(query: str, *files: tuple[str, str], conversation_id: str = "") -> chat_pb2.RunAgentRequest:
    return chat_pb2.RunAgentRequest(
        query=query,
        conversation_id=conversation_id,
        minio_files=[chat_pb2.Attachment(file_id=i, name=n, kind=1) for i, n in files],  # type: ignore[arg-type]
    )


def of(frames: list[tuple[str, str]], kind: str) -> list[str]:
    return [content for k, content in frames if k == kind]


async def test_a_tool_run_streams_nexent_frames_and_stores_its_steps(env: AgentEnv, upstream: ScriptedUpstream) -> None:
    note = await put(env.files, ALICE, NOTE.encode(), "vault.txt")
    upstream.push(
        Script(chunks=[], tool_calls=[ToolCallScript("read_file", f'{{"file_id": "{note.id}"}}')]),
        Script(chunks=["The note says: ", "{observation}"], prompt_tokens=30, delay_s=0.05),
    )
    # The caller's credential is about to expire: chat reaches files on its own key, still acting for Alice.
    call = env.agents.RunAgent(run_request("What is in the note?", (note.id, "vault.txt")), metadata=aged_md(ALICE))
    events = await drain(call)
    frames = units(events)
    kinds = [k for k, _ in frames]
    assert kinds[:2] == ["agent_new_run", "step_count"] and kinds[-1] == "token_count"
    assert of(frames, "step_count") == ["步骤 1", "步骤 2"]
    assert of(frames, "model_output_code") == [f'read_file({{"file_id": "{note.id}"}})']
    assert of(frames, "execution_logs") == [f"read_file: {NOTE}"]
    # With tools too, the answer streams token by token as final_answer frames.
    assert of(frames, "final_answer") == ["The note says: ", NOTE]
    assert "model_output_thinking" not in kinds
    counts = orjson.loads(of(frames, "token_count")[0])
    assert counts["finish_reason"] == "stop" and counts["prompt_tokens"] == 11 + 30
    assert len({(e.task_id, e.message_id, e.conversation_id) for e in events}) == 1
    sent = upstream.chat_requests()[1].body["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": sent[-2]["tool_calls"][0]["id"], "content": NOTE}

    saved = await env.message(events[0].message_id)
    assert saved.status == "normal" and saved.answer == f"The note says: {NOTE}"
    [step, final] = saved.extra["agent_thoughts"]
    assert step["tool"] == "read_file" and orjson.loads(step["observation"]) == {"read_file": NOTE}
    assert final["position"] == 2 and final["tool"] == ""
    stored = [(u["type"], u["content"]) for u in saved.extra["agent_units"]]
    assert ("execution_logs", f"read_file: {NOTE}") in stored and stored[-1][0] == "final_answer"


async def test_stop_by_task_id_ends_the_run_mid_answer_keeping_the_steps(
    env: AgentEnv, upstream: ScriptedUpstream
) -> None:
    note = await put(env.files, ALICE, NOTE.encode(), "vault.txt")
    upstream.push(
        Script(chunks=[], tool_calls=[ToolCallScript("read_file", f'{{"file_id": "{note.id}"}}')]),
        Script(chunks=["slow "] * 400, delay_s=0.05),
    )
    call = env.agents.RunAgent(run_request("Read it slowly", (note.id, "vault.txt")), metadata=md(ALICE))
    seen: list[tuple[str, str]] = []
    first = await call.read()
    while not of(seen, "final_answer") and not of(seen, "model_output_thinking"):  # the answer has begun
        seen.extend(units([await call.read()]))
    stop = chat_pb2.StopGenerationRequest(task_id=first.task_id)
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await env.turns.StopGeneration(stop, metadata=md(BOB))
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
    assert (await env.turns.StopGeneration(stop, metadata=md(ALICE))).stopped
    rest = units(await drain(call))
    counts = orjson.loads(of(rest, "token_count")[0])
    assert counts["finish_reason"] == "stopped"
    saved = await env.message(first.message_id)
    assert saved.status == "stopped" and saved.answer.startswith("slow ") and len(saved.answer) < 400 * 5
    assert saved.extra["agent_thoughts"][0]["tool"] == "read_file"
    deadline = asyncio.get_running_loop().time() + 5
    while not upstream.chat_requests()[-1].cancelled:  # the upstream hears the stop: its response is closed
        assert asyncio.get_running_loop().time() < deadline, "the upstream request was not closed"
        await asyncio.sleep(0.05)


async def test_another_company_neither_continues_the_conversation_nor_reads_the_files(
    env: AgentEnv, upstream: ScriptedUpstream
) -> None:
    note = await put(env.files, ALICE, NOTE.encode(), "vault.txt")
    upstream.push(Script(chunks=["hello"]))
    started = await drain(env.agents.RunAgent(run_request("hi"), metadata=md(ALICE)))
    conversation_id = started[0].conversation_id
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await drain(env.agents.RunAgent(run_request("again", conversation_id=conversation_id), metadata=md(BOB)))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND

    # Bob names Alice's file: files answers him as for any unknown id, and the model only hears that.
    upstream.push(
        Script(chunks=[], tool_calls=[ToolCallScript("read_file", f'{{"file_id": "{note.id}"}}')]),
        Script(chunks=["{observation}"]),
    )
    frames = units(await drain(env.agents.RunAgent(run_request("read", (note.id, "x.txt")), metadata=md(BOB))))
    assert "".join(of(frames, "final_answer")) == "error: file not found"
    assert all(NOTE not in content for _, content in frames)
    assert all(NOTE not in str(r.body) for r in upstream.chat_requests()[-2:])


async def test_each_user_runs_their_own_saved_agent_config(
    env: AgentEnv, upstream: ScriptedUpstream, apps_process: AppsProcess
) -> None:
    config = struct_pb2.Struct()
    config.update({"tools": ["web_fetch"], "agent": {"max_iteration": 3}})
    async with grpc_client.create_channel(f"127.0.0.1:{apps_process.port}") as channel:
        apps = apps_pb2_grpc.AppsServiceStub(channel)
        await apps.SaveNexentConfig(apps_pb2.SaveNexentConfigRequest(config=config), metadata=md(ALICE))
    upstream.push(Script(chunks=["a"]), Script(chunks=["b"]), Script(chunks=["c"]))
    for who in (ALICE, CAROL, BOB):
        await drain(env.agents.RunAgent(run_request("which tools?"), metadata=md(who)))
    alice, carol, bob = (r.body for r in upstream.chat_requests()[-3:])
    assert [t["function"]["name"] for t in alice["tools"]] == ["web_fetch"]
    # Nexent's config is one per user (save_config): not a colleague's, nor another company's.
    assert "tools" not in carol and "tools" not in bob


async def test_each_finished_step_is_saved_while_the_run_goes_on(env: AgentEnv, upstream: ScriptedUpstream) -> None:
    """What a crash leaves: the message is still "generating", and already holds the steps that finished."""
    note = await put(env.files, ALICE, NOTE.encode(), "vault.txt")
    upstream.push(
        Script(chunks=["Reading. "], tool_calls=[ToolCallScript("read_file", f'{{"file_id": "{note.id}"}}')]),
        Script(chunks=["late"], hang_s=30),  # the second step's model call hangs
    )
    call = env.agents.RunAgent(run_request("Read it", (note.id, "vault.txt")), metadata=md(ALICE))
    frames: list[tuple[str, str]] = []
    first = await call.read()
    while len(of(frames, "step_count")) < 2:  # step 1 is done once step 2 begins
        frames.extend(units([await call.read()]))
    assert env.generation.agents is not None
    deadline = asyncio.get_running_loop().time() + 10
    while True:  # the step's write is off the stream's path: wait for it to land
        await env.generation.agents.journal.idle(first.message_id)
        saved = await env.message(first.message_id)
        if saved.extra.get("agent_thoughts") or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert saved.status == "generating" and saved.answer == "Reading. "
    [step] = saved.extra["agent_thoughts"]
    assert step["tool"] == "read_file" and orjson.loads(step["observation"]) == {"read_file": NOTE}
    assert ("execution_logs", f"read_file: {NOTE}") in [(u["type"], u["content"]) for u in saved.extra["agent_units"]]
    assert saved.extra["message_files"][0]["file_id"] == note.id
    call.cancel()
    deadline = asyncio.get_running_loop().time() + 10
    while (await env.message(first.message_id)).status == "generating":
        assert asyncio.get_running_loop().time() < deadline, "the cancelled run was not finished"
        await asyncio.sleep(0.05)
    final = await env.message(first.message_id)
    assert final.status == "stopped" and final.extra["agent_thoughts"][0]["tool"] == "read_file"
