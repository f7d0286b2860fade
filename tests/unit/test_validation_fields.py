"""gateway.errors.validation_error: pydantic's refusal becomes one message naming the field as the client wrote it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, StrictInt, StrictStr, ValidationError

from gateway.errors import validation_error


class Turn(BaseModel):
    role: StrictStr


class Body(BaseModel):
    query: StrictStr
    history: list[Turn] = []
    conversation_id: StrictInt | StrictStr | None = None


def refused(body: Any) -> tuple[str, str]:
    try:
        Body.model_validate(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        error = validation_error(RequestValidationError(errors, body=body))
        return error.field, error.message
    raise AssertionError("accepted")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"query": 5}, "query", "query: Input should be a valid string"),
        ({}, "query", "query is required"),
        (
            {"query": "x", "history": [{"role": 3}]},
            "history[0].role",
            "history[0].role: Input should be a valid string",
        ),
        ({"query": "x", "history": [{}]}, "history[0].role", "history[0].role is required"),
        (
            {"query": "x", "conversation_id": [1]},
            "conversation_id",
            "conversation_id: Input should be a valid integer or Input should be a valid string",
        ),
        ("text", "body", "request body must be a JSON object"),
    ],
)
def test_the_message_names_the_field(body: Any, field: str, message: str) -> None:
    assert refused(body) == (field, message)


def test_query_and_path_parameters_keep_their_names() -> None:
    errors = [{"type": "int_parsing", "loc": ("query", "page"), "msg": "Input should be a valid integer"}]
    error = validation_error(RequestValidationError(errors))
    assert (error.field, error.message) == ("page", "page: Input should be a valid integer")
