"""Parsing JSON given on the command line or in a file into a model, with one-line errors."""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from calcitrack.errors import InputError

M = TypeVar("M", bound=BaseModel)


def parse_json_model(raw: str, model: type[M], source: str) -> M:
    """``raw`` JSON as ``model``; a syntax or validation problem names ``source``, the line or the field."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or model.__name__
        raise InputError(f"{source}: invalid {model.__name__} JSON: {field}: {first['msg']}") from exc
