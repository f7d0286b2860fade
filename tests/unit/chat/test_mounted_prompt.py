"""mounted_prompt(): mounted documents go whole into the system prompt until the budget, then are cut and flagged."""

from __future__ import annotations

from services.chat.generation.knowledge import MountedText, knowledge_plan, mounted_prompt
from services.chat.generation.prompt import estimate_tokens


def test_documents_that_fit_go_in_whole() -> None:
    docs = [MountedText("f1", "a.txt", "Lunch is at noon.", False), MountedText("f2", "", "Parrots eat mango.", False)]
    block, cut = mounted_prompt(docs, max_tokens=1000)
    assert not cut
    assert "<document name='a.txt'>\nLunch is at noon.\n</document>" in block
    assert "<document name='f2'>\nParrots eat mango.\n</document>" in block


def test_a_document_past_the_budget_is_cut_and_flagged() -> None:
    long = "word " * 4000
    block, cut = mounted_prompt([MountedText("f1", "big.txt", long, False)], max_tokens=500)
    assert cut and estimate_tokens(block) < 600
    _, truncated_by_files = mounted_prompt([MountedText("f1", "x.txt", "short", True)], max_tokens=500)
    assert truncated_by_files
    assert mounted_prompt([], max_tokens=500) == ("", False)


def test_mounted_files_are_searched_only_when_asked() -> None:
    assert knowledge_plan({}, []) == ([], [], 4)
    assert knowledge_plan({}, ["f1"]) == (["_mesh_resources"], ["f1"], 4)
