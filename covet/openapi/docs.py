"""The Swagger UI and ReDoc pages, for the app's own docs routes and for custom ones.

``get_swagger_ui_html`` and ``get_redoc_html`` take FastAPI's keywords, so an app that
replaces its docs routes (``CovetPy(docs_url=None, redoc_url=None)`` plus its own ``/docs``)
ports as it is. Unlike FastAPI's, the pages load the assets packaged with covet by default
(``/docs-assets/...``, served when ``serve_docs_assets=True`` or a docs page is on), not a CDN.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from covet.responses import HTMLResponse

DEFAULT_ASSETS_URL = "/docs-assets"
# FastAPI's defaults, so a ported page looks the same; the online validator stays off.
SWAGGER_UI_DEFAULTS: Mapping[str, Any] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}


def get_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    swagger_js_url: str = f"{DEFAULT_ASSETS_URL}/swagger-ui-bundle.js",
    swagger_css_url: str = f"{DEFAULT_ASSETS_URL}/swagger-ui.css",
    swagger_favicon_url: str | None = None,
    oauth2_redirect_url: str | None = None,
    init_oauth: Mapping[str, Any] | None = None,
    swagger_ui_parameters: Mapping[str, Any] | None = None,
) -> HTMLResponse:
    """Build a Swagger UI page for the document at ``openapi_url``.

    Args:
        openapi_url: URL of the OpenAPI document, as the browser should fetch it.
        title: Page title; HTML-escaped.
        swagger_js_url: URL of ``swagger-ui-bundle.js`` (the packaged copy by default).
        swagger_css_url: URL of ``swagger-ui.css`` (the packaged copy by default).
        swagger_favicon_url: URL of the page's icon (none by default: nothing is fetched).
        oauth2_redirect_url: Path of an OAuth2 redirect page the app serves itself, for
            Swagger UI's "Authorize" flows.
        init_oauth: Swagger UI's ``initOAuth`` settings (``{"clientId": ...}``).
        swagger_ui_parameters: Swagger UI configuration over :data:`SWAGGER_UI_DEFAULTS`.
    """
    config: dict[str, Any] = {"url": openapi_url, **SWAGGER_UI_DEFAULTS, "validatorUrl": None}
    config.update(swagger_ui_parameters or {})
    lines = [f"  {key}: {_js(value)}," for key, value in config.items()]
    if oauth2_redirect_url:
        lines.append(f"  oauth2RedirectUrl: window.location.origin + {_js(oauth2_redirect_url)},")
    script = "const ui = SwaggerUIBundle({\n" + "\n".join(lines) + "\n});\n"
    if init_oauth:
        script += f"ui.initOAuth({_js(dict(init_oauth))});\n"
    script += "window.ui = ui;\n"
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{html.escape(swagger_css_url)}">
{_favicon(swagger_favicon_url)}</head>
<body>
<div id="swagger-ui"></div>
<script src="{html.escape(swagger_js_url)}"></script>
<script>
{script}</script>
</body>
</html>
"""
    return HTMLResponse(page)


def get_redoc_html(
    *,
    openapi_url: str,
    title: str,
    redoc_js_url: str = f"{DEFAULT_ASSETS_URL}/redoc.standalone.js",
    redoc_favicon_url: str | None = None,
    with_google_fonts: bool = False,
) -> HTMLResponse:
    """Build a ReDoc page for the document at ``openapi_url``.

    By default the page loads only ``redoc_js_url`` and links no web fonts (ReDoc falls back
    to the system's), so it works offline. ReDoc's side menu always shows a logo from
    ``cdn.redoc.ly``; the page's content security policy keeps the browser from fetching it
    (images only from the app itself, or inline).

    Args:
        openapi_url: URL of the OpenAPI document, as the browser should fetch it.
        title: Page title; HTML-escaped.
        redoc_js_url: URL of ``redoc.standalone.js`` (the packaged copy by default).
        redoc_favicon_url: URL of the page's icon (none by default).
        with_google_fonts: Link ReDoc's fonts from Google Fonts (online), as FastAPI does
            by default.
    """
    fonts = (
        '<link href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700|'
        'Roboto:300,400,700" rel="stylesheet">\n'
        if with_google_fonts
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="img-src 'self' data: blob:">
<title>{html.escape(title)}</title>
{fonts}{_favicon(redoc_favicon_url)}<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<redoc spec-url="{html.escape(openapi_url)}"></redoc>
<script src="{html.escape(redoc_js_url)}"></script>
</body>
</html>
"""
    return HTMLResponse(page)


def _favicon(url: str | None) -> str:
    return f'<link rel="shortcut icon" href="{html.escape(url)}">\n' if url else ""


def _js(value: Any) -> str:
    # JSON is valid JavaScript; escaping <, > and & keeps "</script>" or "<!--" in a value
    # from ending the inline script early.
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


__all__ = ["SWAGGER_UI_DEFAULTS", "get_redoc_html", "get_swagger_ui_html"]
