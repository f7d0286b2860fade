"""The meeting assistant end to end through the launcher: piper speech uploaded in three chunks, transcribed by the
real voice service, minutes written through chat by the scripted upstream, and the list's duration."""

from __future__ import annotations

import re

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.meetings.helpers import MEETINGS, create_meeting, ok, show, speech, upload_voice, wait_for_state

SENTENCES = (
    "Good morning everyone, this is the weekly planning meeting.",
    "Alice will prepare the budget report by Friday.",
    "Are there any open questions about the product launch?",
)
# Words whisper hears in each sentence, in speaking order.
KEYWORDS = ("morning", "budget", "launch")
CHUNK_MS = 6_500  # each chunk is padded to this length, so the total is 19.5 s whatever voice rounds
MINUTES = "## Summary\nThe weekly planning meeting.\n## Action items\n- **Alice**: budget report by Friday"


def test_spoken_chunks_become_a_transcript_in_order_and_minutes(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "meet")
    ids = [
        upload_voice(mesh, token, speech(text, length_ms=CHUNK_MS), f"part{i}.wav") for i, text in enumerate(SENTENCES)
    ]
    scripted.push(Script(chunks=[MINUTES[:20], MINUTES[20:]]))
    meeting_id = create_meeting(mesh, token, language=None, auto_organize=1, meeting_name="Weekly planning")

    for batch, is_end in ((ids[:2], False), (ids[1:], True)):  # the second id is sent twice: one chunk
        body = {"meeting_id": meeting_id, "voice_file_ids": batch, "is_end": is_end}
        assert ok(mesh.http.post(f"{MEETINGS}/upload", json=body, headers=bearer(token))) is None
        if not is_end:  # while it goes on, the list already counts the audio uploaded so far
            listed = ok(mesh.http.get(f"{MEETINGS}/list", headers=bearer(token)))
            assert [(m["meeting_duration"], m["state"]) for m in listed["items"]] == [("00:00:13", 0)]
    after_end = ok(
        mesh.http.post(
            f"{MEETINGS}/upload", json={"meeting_id": meeting_id, "voice_file_ids": ids[2:]}, headers=bearer(token)
        )
    )
    assert after_end is None  # a retried upload of the same id changes nothing, even once closed

    transcript = wait_for_state(mesh, token, meeting_id, 0, (2, 3), timeout_s=300)
    assert transcript["state"] == 2, transcript
    text = transcript["doc"].lower()
    places = [text.find(word) for word in KEYWORDS]
    assert all(place >= 0 for place in places) and places == sorted(places), transcript["doc"]
    assert "[gap:" not in text
    assert re.match(r"^\[00:00:0\d\] ", transcript["doc"])
    assert re.search(r"\[00:00:(1[3-9])\] .*launch", transcript["doc"], re.IGNORECASE), transcript["doc"]

    minutes = wait_for_state(mesh, token, meeting_id, 1, (2, 3), timeout_s=120)
    assert minutes == {"doc": MINUTES, "state": 2, "errorMessage": None}
    prompt = scripted.chat_requests()[-1].body["messages"]
    assert "budget" in prompt[-1]["content"].lower() and "Weekly planning" in prompt[-1]["content"]
    assert "## Action items" in prompt[0]["content"]  # English speech: English minutes

    listed = ok(mesh.http.get(f"{MEETINGS}/list", params={"page_size": 5}, headers=bearer(token)))
    (item,) = listed["items"]
    assert item["meeting_id"] == meeting_id and item["meeting_name"] == "Weekly planning"
    assert (item["meeting_duration"], item["state"]) == ("00:00:19", 2)
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", item["create_time"])
    assert ok(show(mesh, token, meeting_id, 0, forced_shutdown=False)) == transcript
