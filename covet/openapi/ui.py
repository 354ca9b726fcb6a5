"""The Swagger UI and ReDoc files packaged with covet, served so the docs pages work offline.

The pages themselves are built by :mod:`covet.openapi.docs`.
"""

from __future__ import annotations

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
