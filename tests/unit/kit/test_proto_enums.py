"""wire_names: the Nexent model-type and connect-status names come from the proto enums, for both sides."""

from __future__ import annotations

from meshconsole.chat.v1 import chat_pb2

from services.kit.proto_enums import wire_names


def test_model_types_are_named_by_their_suffix_without_unspecified() -> None:
    names = wire_names(chat_pb2.ModelType, prefix="MODEL_TYPE_")
    assert names == {
        "llm": chat_pb2.MODEL_TYPE_LLM,
        "embedding": chat_pb2.MODEL_TYPE_EMBEDDING,
        "rerank": chat_pb2.MODEL_TYPE_RERANK,
        "stt": chat_pb2.MODEL_TYPE_STT,
        "tts": chat_pb2.MODEL_TYPE_TTS,
        "vlm": chat_pb2.MODEL_TYPE_VLM,
    }


def test_multi_word_values_keep_their_underscores() -> None:
    assert wire_names(chat_pb2.ConnectStatus, prefix="CONNECT_STATUS_")["not_detected"] == (
        chat_pb2.CONNECT_STATUS_NOT_DETECTED
    )
