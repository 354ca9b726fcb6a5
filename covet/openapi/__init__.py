"""OpenAPI 3.1 documents generated from an application's routes, and the docs pages."""

from __future__ import annotations

from covet.openapi.config import OpenAPIConfig
from covet.openapi.contributions import ContributesToOpenAPI, OpenAPIContribution
from covet.openapi.docs import get_redoc_html, get_swagger_ui_html
from covet.openapi.generator import get_openapi, openapi_document, openapi_path
from covet.openapi.schema import SchemaRegistry

__all__ = [
    "ContributesToOpenAPI",
    "OpenAPIConfig",
    "OpenAPIContribution",
    "SchemaRegistry",
    "get_openapi",
    "get_redoc_html",
    "get_swagger_ui_html",
    "openapi_document",
    "openapi_path",
]
