"""Swagger UI and ReDoc pages that work offline, with their assets served from the package."""

from __future__ import annotations

import html
import json
import os
from importlib.resources import files
from pathlib import Path

from covet.exceptions import ConfigurationError, HTTPException
from covet.responses import FileResponse

# The only files the assets route serves, with their content types. Anything else is a 404,
# so a request can never name a path outside this list (no traversal, no LICENSE leaks).
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "application/javascript",
}
_CACHE_CONTROL = "public, max-age=86400"


def swagger_ui_html(openapi_url: str, assets_url: str, title: str) -> str:
    """Build a Swagger UI page for the document at ``openapi_url``.

    The page loads only ``{assets_url}/swagger-ui.css`` and ``{assets_url}/swagger-ui-bundle.js``
    and turns off the online spec validator, so it works without network access.

    Args:
        openapi_url: URL of the OpenAPI document, as the browser should fetch it.
        assets_url: URL prefix the packaged assets are served under (no trailing slash).
        title: Page title; HTML-escaped.
    """
    assets = html.escape(assets_url.rstrip("/"))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {_js_string(openapi_url)},
  dom_id: "#swagger-ui",
  validatorUrl: null
}});
</script>
</body>
</html>
"""


def redoc_html(openapi_url: str, assets_url: str, title: str) -> str:
    """Build a ReDoc page for the document at ``openapi_url``.

    The page loads only ``{assets_url}/redoc.standalone.js`` and links no web fonts (ReDoc
    falls back to the system's fonts), so it works without network access. ReDoc's side menu
    always shows a logo from ``cdn.redoc.ly``; the page's content security policy keeps the
    browser from fetching it (images only from the app itself, or inline).

    Args:
        openapi_url: URL of the OpenAPI document, as the browser should fetch it.
        assets_url: URL prefix the packaged assets are served under (no trailing slash).
        title: Page title; HTML-escaped.
    """
    assets = html.escape(assets_url.rstrip("/"))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="img-src 'self' data: blob:">
<title>{html.escape(title)}</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<redoc spec-url="{html.escape(openapi_url)}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


def asset_response(name: str) -> FileResponse:
    """Serve the packaged asset ``name`` with its content type, an ETag and a day's caching.

    Raises:
        HTTPException: 404 when ``name`` is not one of :data:`ASSETS`.
    """
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404)
    return FileResponse(
        asset_path(name),
        media_type=media_type,
        headers={"Cache-Control": _CACHE_CONTROL},
    )


def asset_path(name: str) -> Path:
    """Return the file system path of the packaged asset ``name``.

    Raises:
        HTTPException: 404 when ``name`` is not one of :data:`ASSETS`.
        ConfigurationError: covet is installed where its files are not on disk (a zip file).
    """
    if name not in ASSETS:
        raise HTTPException(404)
    resource = files("covet.openapi") / "assets" / name
    if not isinstance(resource, os.PathLike):
        raise ConfigurationError(
            f"The docs asset {name!r} is not a file on disk ({resource!r}); install covetpy "
            "as a regular directory (not zipped) to serve /docs and /redoc."
        )
    return Path(resource)


def _js_string(value: str) -> str:
    # json.dumps gives a valid JS string literal; escaping <, > and & keeps "</script>" or
    # "<!--" in a URL from ending the inline script early.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
