"""RFC 9457 problem details: the default shape of every error response."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from covet.responses.base import JSONResponse


class ProblemResponse(JSONResponse):
    """An ``application/problem+json`` error document (RFC 9457).

    Args:
        status_code: The HTTP status, repeated in the ``status`` member.
        detail: Explanation specific to this occurrence.
        title: Short summary of the problem type; defaults to the status phrase.
        type: URI identifying the problem type; ``about:blank`` by default.
        instance: URI reference of this occurrence (the request path by default).
        headers: Extra response headers.
        extensions: Extra members (``request_id``, ``errors``...).
    """

    media_type = "application/problem+json"

    def __init__(
        self,
        status_code: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str = "about:blank",
        instance: str | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        document: dict[str, Any] = {
            "type": type,
            "title": title or status_phrase(status_code),
            "status": status_code,
        }
        if detail is not None:
            document["detail"] = detail
        if instance is not None:
            document["instance"] = instance
        if extensions:
            document.update(extensions)
        super().__init__(document, status_code, headers)


def status_phrase(status_code: int) -> str:
    """The standard reason phrase for ``status_code`` (``"Error"`` when unknown)."""
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"
