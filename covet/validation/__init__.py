"""Validation engine: type hints compiled once into validators and serialisers.

pydantic models and msgspec Structs are recognised when the user's annotation is one and are
validated by their own library; neither is ever imported by CovetPy.
"""

from __future__ import annotations

from covet.validation.compiler import Mode, Validator, compile_validator
from covet.validation.constraints import Constraints
from covet.validation.errors import (
    MAX_ISSUES,
    NO_INPUT,
    RequestValidationError,
    SerializationError,
    ValidationError,
    ValidationIssue,
)
from covet.validation.models import forbid_extra
from covet.validation.serialization import Serializer, compile_serializer

__all__ = [
    "MAX_ISSUES",
    "NO_INPUT",
    "Constraints",
    "Mode",
    "RequestValidationError",
    "SerializationError",
    "Serializer",
    "ValidationError",
    "ValidationIssue",
    "Validator",
    "compile_serializer",
    "compile_validator",
    "forbid_extra",
]
