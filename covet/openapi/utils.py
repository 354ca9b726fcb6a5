"""``get_openapi`` where FastAPI keeps it (``fastapi.openapi.utils``), for ported imports."""

from __future__ import annotations

from covet.openapi.generator import get_openapi

__all__ = ["get_openapi"]
