"""Reading what the Swagger UI page tells its bootstrap script (a JSON script element)."""

from __future__ import annotations

import json
import re
from typing import Any

_CONFIG = re.compile(r'<script id="swagger-ui-config" type="application/json">(.*?)</script>', re.S)


def swagger_config(page: str) -> dict[str, Any]:
    """The configuration a Swagger UI page hands to ``SwaggerUIBundle`` (and OAuth)."""
    match = _CONFIG.search(page)
    assert match is not None, "the page has no swagger-ui-config element"
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def swagger_options(page: str) -> dict[str, Any]:
    """The options of ``SwaggerUIBundle(...)`` on a Swagger UI page."""
    options: dict[str, Any] = swagger_config(page)["options"]
    return options
