"""Sentence splitting for synthesis and the language guess."""

from __future__ import annotations

from services.voice.text import MAX_PIECE, guess_language, normalize_language, split_sentences


def test_sentences_split_on_latin_and_cjk_ends() -> None:
    assert split_sentences("Hello there. It costs 3.14 dollars! Really?") == [
        "Hello there.",
        "It costs 3.14 dollars!",
        "Really?",
    ]
    assert split_sentences("你好。今天天气很好！我们去散步吧？") == ["你好。", "今天天气很好！", "我们去散步吧？"]


def test_long_sentences_are_cut_and_short_ones_join_but_never_the_first() -> None:
    long = ", ".join(["a clause of some length"] * 30) + "."
    pieces = split_sentences(long)
    assert len(pieces) > 1 and all(len(p) <= MAX_PIECE for p in pieces)
    assert split_sentences("Hi. Ok. Yes. This is long enough.") == ["Hi.", "Ok. Yes. This is long enough."]


def test_language_guess_and_codes() -> None:
    assert guess_language("今天天气很好 OK") == "zh"
    assert guess_language("Hello 你") == "en"
    assert [normalize_language(c) for c in ("zh-CN", "cmn", "en_US", "", "FR")] == ["zh", "zh", "en", "", "fr"]
