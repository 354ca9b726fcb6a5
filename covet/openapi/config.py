"""``OpenAPIConfig``: what the OpenAPI document says about the API, and where the docs are served.

One frozen object, validated when built, so a bad setting fails at start-up with a message
naming it. ``CovetPy(title=..., docs_url=...)`` keywords are shortcuts that build one.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from covet.exceptions import ConfigurationError


class _Unset(enum.Enum):
    UNSET = "UNSET"


UNSET: Final = _Unset.UNSET
"""A keyword left out (``None`` means something for some of them: "do not serve")."""

_CONTACT_KEYS = frozenset({"name", "url", "email"})
_LICENSE_KEYS = frozenset({"name", "identifier", "url"})
_TAG_KEYS = frozenset({"name", "description", "externalDocs"})


@dataclass(frozen=True, slots=True)
class OpenAPIConfig:
    """The OpenAPI document's ``info``, ``servers`` and ``tags``, and the docs pages' URLs.

    Attributes:
        title: ``info.title``.
        version: ``info.version``: the API's version, not OpenAPI's.
        summary: ``info.summary``: one line about the API.
        description: ``info.description`` (Markdown).
        terms_of_service: ``info.termsOfService``: a URL.
        contact: ``info.contact``: ``{"name": ..., "url": ..., "email": ...}``.
        license_info: ``info.license``: ``{"name": ..., "identifier": ...}`` (an SPDX id) or
            ``{"name": ..., "url": ...}``.
        openapi_tags: The ``tags`` list, in the order the docs show them:
            ``[{"name": "users", "description": "...", "externalDocs": {"url": ...}}]``.
        servers: The ``servers`` list (``[{"url": "https://api.example.com"}]``). Without it,
            the served document names the request's ``root_path`` as its server.
        openapi_url: Where the document is served (``None``: nowhere, and no docs pages).
        docs_url: Where the Swagger UI page is served (``None``: not served).
        redoc_url: Where the ReDoc page is served (``None``: not served).
        docs_assets_url: URL prefix of the packaged Swagger UI and ReDoc files (no CDN is
            used, so the pages work offline).
        serve_docs_assets: Serve those files even without ``docs_url``/``redoc_url``, for
            pages built with ``get_swagger_ui_html``/``get_redoc_html`` (``None``: only
            when a docs page is served).
        swagger_ui_parameters: Swagger UI configuration (``{"deepLinking": False,
            "syntaxHighlight": {"theme": "obsidian"}}``), over the defaults.
        generate_unique_id_function: ``route -> operationId`` for routes that set no
            ``operation_id`` (a router's or the route's own wins).
    """

    title: str = "CovetPy"
    version: str = "0.1.0"
    summary: str | None = None
    description: str | None = None
    terms_of_service: str | None = None
    contact: Mapping[str, Any] | None = None
    license_info: Mapping[str, Any] | None = None
    openapi_tags: Sequence[Mapping[str, Any]] | None = None
    servers: Sequence[Mapping[str, Any]] = ()
    openapi_url: str | None = "/openapi.json"
    docs_url: str | None = "/docs"
    redoc_url: str | None = "/redoc"
    docs_assets_url: str = "/docs-assets"
    serve_docs_assets: bool | None = None
    swagger_ui_parameters: Mapping[str, Any] | None = field(default=None)
    generate_unique_id_function: Callable[[Any], str] | None = None

    def __post_init__(self) -> None:
        for name in ("title", "version"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigurationError(f"OpenAPI {name} must be a non-empty string.")
        for name in ("summary", "description", "terms_of_service"):
            _optional_str(name, getattr(self, name))
        for name in ("openapi_url", "docs_url", "redoc_url"):
            _optional_path(name, getattr(self, name))
        _optional_path("docs_assets_url", self.docs_assets_url)
        object.__setattr__(self, "docs_assets_url", self.docs_assets_url.rstrip("/"))
        _check_object("contact", self.contact, _CONTACT_KEYS)
        _check_object("license_info", self.license_info, _LICENSE_KEYS)
        if self.license_info is not None:
            if not isinstance(self.license_info.get("name"), str):
                raise ConfigurationError('license_info needs a "name" string.')
            if "identifier" in self.license_info and "url" in self.license_info:
                raise ConfigurationError('license_info takes "identifier" or "url", not both.')
        object.__setattr__(self, "servers", _servers(self.servers))
        object.__setattr__(self, "openapi_tags", _tags(self.openapi_tags))
        _check_swagger_parameters(self.swagger_ui_parameters)
        if self.generate_unique_id_function is not None and not callable(
            self.generate_unique_id_function
        ):
            raise ConfigurationError("generate_unique_id_function must be callable(route) -> str")

    @property
    def serves_docs_assets(self) -> bool:
        """Whether the app serves the packaged docs files at ``docs_assets_url``."""
        if self.serve_docs_assets is not None:
            return self.serve_docs_assets
        return bool(self.docs_url or self.redoc_url)


def info_object(
    *,
    title: str,
    version: str,
    summary: str | None = None,
    description: str | None = None,
    terms_of_service: str | None = None,
    contact: Mapping[str, Any] | None = None,
    license_info: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An OpenAPI ``info`` object, with only the fields given."""
    info: dict[str, Any] = {"title": title}
    if summary:
        info["summary"] = summary
    if description:
        info["description"] = description
    if terms_of_service:
        info["termsOfService"] = terms_of_service
    if contact:
        info["contact"] = dict(contact)
    if license_info:
        info["license"] = dict(license_info)
    info["version"] = version
    return info


def _optional_str(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ConfigurationError(f"OpenAPI {name} must be a string, not {value!r}")


def _optional_path(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.startswith("/")):
        raise ConfigurationError(
            f"{name} must be a path starting with '/' (or None), not {value!r}"
        )


def _check_object(
    name: str, value: Any, keys: frozenset[str], strings: frozenset[str] | None = None
) -> None:
    """``value`` is None or a dict of ``keys`` (and ``x-`` extensions); ``strings`` are strings."""
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{name} must be a dict, not {value!r}")
    unknown = sorted(k for k in value if not str(k).startswith("x-") and k not in keys)
    if unknown:
        raise ConfigurationError(f"{name} has unknown keys {unknown}; it takes {sorted(keys)}")
    for key in (keys if strings is None else strings) & value.keys():
        if not isinstance(value[key], str):
            raise ConfigurationError(f"{name}[{key!r}] must be a string, not {value[key]!r}")


def _servers(servers: Any) -> tuple[dict[str, Any], ...]:
    if isinstance(servers, str | Mapping) or not isinstance(servers, Sequence):
        raise ConfigurationError('servers must be a list of dicts, each with a "url" string.')
    if any(not isinstance(s, Mapping) or not isinstance(s.get("url"), str) for s in servers):
        raise ConfigurationError('servers must be a list of dicts, each with a "url" string.')
    return tuple(dict(server) for server in servers)


def _tags(tags: Any) -> tuple[dict[str, Any], ...] | None:
    if tags is None:
        return None
    if isinstance(tags, str | Mapping) or not isinstance(tags, Sequence):
        raise ConfigurationError('openapi_tags must be a list of dicts, each with a "name".')
    seen: set[str] = set()
    for tag in tags:
        _check_object("an openapi_tags entry", tag, _TAG_KEYS, _TAG_KEYS - {"externalDocs"})
        if not isinstance(tag.get("name"), str):
            raise ConfigurationError('Each openapi_tags entry needs a "name" string.')
        if tag["name"] in seen:
            raise ConfigurationError(f"openapi_tags names {tag['name']!r} twice.")
        seen.add(tag["name"])
        docs = tag.get("externalDocs")
        if docs is not None and (not isinstance(docs, Mapping) or "url" not in docs):
            raise ConfigurationError(f'externalDocs of tag {tag["name"]!r} needs a "url".')
    return tuple(dict(tag) for tag in tags)


def _check_swagger_parameters(parameters: Any) -> None:
    if parameters is None:
        return
    if not isinstance(parameters, Mapping) or not all(isinstance(k, str) for k in parameters):
        raise ConfigurationError("swagger_ui_parameters must be a dict with string keys.")
    try:
        json.dumps(dict(parameters))
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"swagger_ui_parameters must hold JSON data: {exc}") from None
