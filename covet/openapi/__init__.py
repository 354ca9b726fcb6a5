"""OpenAPI 3.1 documents generated from an application's routes."""

from __future__ import annotations

from covet.openapi.generator import openapi_document, openapi_path
from covet.openapi.schema import SchemaRegistry

__all__ = ["SchemaRegistry", "openapi_document", "openapi_path"]
