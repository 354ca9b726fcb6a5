"""The Swagger UI and ReDoc pages, for the app's own docs routes and for custom ones.

``get_swagger_ui_html`` and ``get_redoc_html`` take FastAPI's keywords, so an app that
replaces its docs routes (``CovetPy(docs_url=None, redoc_url=None)`` plus its own ``/docs``)
ports as it is. Unlike FastAPI's, the pages load the assets packaged with covet by default
(``/docs-assets/...``, served when ``serve_docs_assets=True`` or a docs page is on), not a CDN.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from covet.responses import HTMLResponse

DEFAULT_ASSETS_URL = "/docs-assets"
# The page's only inline script, the same on every page, so its content security policy
# allows it by hash; what differs between pages is data, in a JSON script element.
SWAGGER_BOOTSTRAP = (
    'const config = JSON.parse(document.getElementById("swagger-ui-config").textContent);'
    "if (config.oauth2RedirectPath) {"
    "config.options.oauth2RedirectUrl = window.location.origin + config.oauth2RedirectPath;}"
    "const ui = SwaggerUIBundle(config.options);"
    "if (config.initOAuth) {ui.initOAuth(config.initOAuth);}"
    "window.ui = ui;"
)
_SWAGGER_BOOTSTRAP_HASH = (
    "'sha256-"
    + base64.b64encode(hashlib.sha256(SWAGGER_BOOTSTRAP.encode()).digest()).decode()
    + "'"
)
_SELF = "'self'"
_GOOGLE_FONTS_CSS = "https://fonts.googleapis.com"
_GOOGLE_FONTS_FILES = "https://fonts.gstatic.com"
_HOST_SOURCE = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")
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
    options: dict[str, Any] = {"url": openapi_url, **SWAGGER_UI_DEFAULTS, "validatorUrl": None}
    options.update(swagger_ui_parameters or {})
    config: dict[str, Any] = {"options": options}
    if oauth2_redirect_url:
        config["oauth2RedirectPath"] = oauth2_redirect_url
    if init_oauth:
        config["initOAuth"] = dict(init_oauth)
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
<script id="swagger-ui-config" type="application/json">{_js(config)}</script>
<script src="{html.escape(swagger_js_url)}"></script>
<script>{SWAGGER_BOOTSTRAP}</script>
</body>
</html>
"""
    policy = _policy(
        script=[_source(swagger_js_url), _SWAGGER_BOOTSTRAP_HASH],
        style=[_source(swagger_css_url), "'unsafe-inline'"],
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})


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
<title>{html.escape(title)}</title>
{fonts}{_favicon(redoc_favicon_url)}<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<redoc spec-url="{html.escape(openapi_url)}"></redoc>
<script src="{html.escape(redoc_js_url)}"></script>
</body>
</html>
"""
    policy = _policy(
        script=[_source(redoc_js_url)],
        style=["'unsafe-inline'", *([_GOOGLE_FONTS_CSS] if with_google_fonts else [])],
        font=[_GOOGLE_FONTS_FILES] if with_google_fonts else [],
        worker=["blob:"],
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})


def _favicon(url: str | None) -> str:
    return f'<link rel="shortcut icon" href="{html.escape(url)}">\n' if url else ""


def _source(url: str) -> str:
    """The CSP source that lets a page load ``url``: ``'self'``, or the URL's origin."""
    parts = urlsplit(url)
    if not parts.netloc:
        return _SELF
    if not _HOST_SOURCE.fullmatch(parts.netloc):
        return "'none'"  # not expressible as a source: the browser will refuse the asset
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme else parts.netloc


def _policy(
    *, script: list[str], style: list[str], font: Sequence[str] = (), worker: Sequence[str] = ()
) -> str:
    # Scripts and styles only from where the page loads them; images from the app or inline
    # (ReDoc's side-menu logo from its CDN is refused, so nothing leaves the machine); any
    # fetch, because "Try it out" calls the servers the document names.
    directives = [
        "default-src 'none'",
        f"script-src {' '.join(dict.fromkeys(script))}",
        f"style-src {' '.join(dict.fromkeys(style))}",
        "img-src 'self' data: blob:",
        f"font-src {' '.join(dict.fromkeys([_SELF, 'data:', *font]))}",
        "connect-src *",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
    if worker:
        directives.append(f"worker-src {' '.join(worker)}")
    return "; ".join(directives)


def _js(value: Any) -> str:
    # JSON is valid JavaScript; escaping <, > and & keeps "</script>" or "<!--" in a value
    # from ending the inline script early.
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


__all__ = ["SWAGGER_UI_DEFAULTS", "get_redoc_html", "get_swagger_ui_html"]
