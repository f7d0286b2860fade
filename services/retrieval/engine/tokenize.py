"""Application-side tokenization shared by both engines: NFKC, casefold, jieba for CJK, letters and digits only.

Documents and queries are both cut in jieba's search mode (words plus their shorter dictionary parts), so a
query word that the dictionary knows as one compound ("北京故宫") still meets documents that were cut apart.
Tokens keep only letters and digits, so SQLite's unicode61 tokenizer and Elasticsearch's whitespace analyzer
both see exactly these tokens.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from typing import Any

_SPLIT = re.compile(r"[\W_]+")
_lock = threading.Lock()
_tokenizer: Any = None


def _jieba() -> Any:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def normalize(text: str) -> str:
    """NFKC and casefold, as every token is stored."""
    return unicodedata.normalize("NFKC", text).casefold()


def tokenize(text: str) -> list[str]:
    """Tokens of text in order (repeats kept)."""
    text = normalize(text)
    if not text.strip():
        return []
    jieba = _jieba()
    words = jieba.cut_for_search(text)
    out: list[str] = []
    for word in words:
        out.extend(piece for piece in _SPLIT.split(word) if piece)
    return out


def query_terms(text: str) -> list[str]:
    """Distinct query tokens in first-seen order (a repeated word does not count twice)."""
    return list(dict.fromkeys(tokenize(text)))
