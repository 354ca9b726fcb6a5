"""Generating the OpenAPI 3.1 document of an application from its routes."""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from covet._callables import call_kind
from covet.di.binding import BoundParameter
from covet.di.plan import Plan, PlanEntry
from covet.di.planner import plan_handler
from covet.exceptions import ConfigurationError
from covet.openapi.config import info_object
from covet.openapi.contributions import SecuritySchemes, apply, contributions
from covet.openapi.schema import REF_PREFIX, Schema, SchemaRegistry, json_value
from covet.params import REQUIRED
from covet.requests import HTTPConnection
from covet.responses.base import Response, has_no_content
from covet.responses.sse import EventSourceResponse
from covet.responses.streaming import JSONLinesResponse
from covet.routing.convertors import (
    Convertor,
    FloatConvertor,
    IntConvertor,
    UUIDConvertor,
)
from covet.routing.endpoint import plan_context
from covet.routing.response_model import return_annotation
from covet.routing.routes import Route
from covet.routing.streams import stream_item_model, stream_response_class

_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_ISSUE: Schema = {
    "type": "object",
    "properties": {
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
    },
    "required": ["loc", "msg", "type"],
}
_PROBLEM: Schema = {
    "type": "object",
    "title": "ValidationProblem",
    "description": "RFC 9457 problem details listing every validation issue.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": _ISSUE},
    },
    "required": ["errors"],
}
# With error_format="fastapi", the body and names FastAPI documents (its HTTPValidationError).
_FASTAPI_ISSUE: Schema = {
    **_ISSUE,
    "title": "ValidationError",
    "properties": {
        **_ISSUE["properties"],
        "input": {"title": "Input"},
        "ctx": {"type": "object", "title": "Context"},
    },
}
_FASTAPI_PROBLEM: Schema = {
    "type": "object",
    "title": "HTTPValidationError",
    "description": "FastAPI-style validation error (error_format='fastapi').",
    "required": ["detail"],
}
# Keys under which the registry names these schemas (no class can be equal to them).
_PROBLEM_KEY = ("covet.openapi", "ValidationProblem")
_FASTAPI_PROBLEM_KEY = ("covet.openapi", "HTTPValidationError")
_FASTAPI_ISSUE_KEY = ("covet.openapi", "ValidationError")


def openapi_document(
    app: Any,
    *,
    title: str | None = None,
    version: str | None = None,
    description: str | None = None,
    servers: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Describe every HTTP route of ``app`` (with ``include_in_schema``) as OpenAPI 3.1.

    The document's info, tags and servers come from ``app.openapi_config``; the keywords
    override the title, version, description and servers.

    Args:
        app: A :class:`~covet.CovetPy` application.
        title: ``info.title``.
        version: ``info.version`` (the API's version, not OpenAPI's).
        description: ``info.description``.
        servers: The ``servers`` list (``[{"url": ...}]``).
    """
    app.build()  # plans every route with the app's overrides: the document reads the plans
    config = app.openapi_config
    return get_openapi(
        title=title or config.title,
        version=version or config.version,
        summary=config.summary,
        description=description or config.description,
        routes=app.routes,
        tags=config.openapi_tags,
        servers=config.servers if servers is None else servers,
        terms_of_service=config.terms_of_service,
        contact=config.contact,
        license_info=config.license_info,
        error_format=app.error_format,
    )


def get_openapi(
    *,
    title: str,
    version: str,
    openapi_version: str = "3.1.0",
    summary: str | None = None,
    description: str | None = None,
    routes: Sequence[Any],
    tags: Sequence[Mapping[str, Any]] | None = None,
    servers: Sequence[Mapping[str, Any]] | None = None,
    terms_of_service: str | None = None,
    contact: Mapping[str, Any] | None = None,
    license_info: Mapping[str, Any] | None = None,
    error_format: str = "problem",
) -> dict[str, Any]:
    """The OpenAPI document of ``routes``, with FastAPI's signature (for ``app.openapi = ...``).

    Example:
        ``get_openapi(title="Shop", version="2.5.0", routes=app.routes)``, then add to the
        dict what the generated document lacks (``document["info"]["x-logo"] = ...``).

    Args:
        title: ``info.title``.
        version: ``info.version``.
        openapi_version: The OpenAPI version written; only 3.1 documents are generated.
        summary: ``info.summary``.
        description: ``info.description``.
        routes: The routes to describe (``app.routes``); others than HTTP routes and those
            with ``include_in_schema=False`` are left out.
        tags: The document's ``tags`` list.
        servers: The ``servers`` list.
        terms_of_service: ``info.termsOfService``.
        contact: ``info.contact``.
        license_info: ``info.license``.
        error_format: The app's ``error_format``, which decides the 422 schema (``"fastapi"``:
            FastAPI's ``HTTPValidationError``).

    Raises:
        ConfigurationError: an ``openapi_version`` other than 3.1.x.
    """
    if not openapi_version.startswith("3.1."):
        raise ConfigurationError(
            f"Only OpenAPI 3.1 documents are generated, not openapi_version={openapi_version!r}"
        )
    builder = _Builder(error_format)
    described = [
        route
        for route in routes
        if isinstance(route, Route) and route.include_in_schema and not route.system
    ]
    builder.reserve(described)
    for route in described:
        builder.add(route)
    document: dict[str, Any] = {"openapi": openapi_version}
    document["info"] = info_object(
        title=title,
        version=version,
        summary=summary,
        description=description,
        terms_of_service=terms_of_service,
        contact=contact,
        license_info=license_info,
    )
    if servers:
        document["servers"] = [dict(server) for server in servers]
    document["paths"] = builder.paths
    components: dict[str, Any] = {}
    if builder.registry.components:
        components["schemas"] = dict(sorted(builder.registry.components.items()))
    if builder.security_schemes.schemes:
        components["securitySchemes"] = dict(sorted(builder.security_schemes.schemes.items()))
    if components:
        document["components"] = components
    if tags:
        document["tags"] = [dict(tag) for tag in tags]
    return document


def with_root_path(document: dict[str, Any], root_path: str) -> dict[str, Any]:
    """``document`` as served under ``root_path``: with ``servers: [{"url": root_path}]``.

    As FastAPI does, so that "Try it out" in Swagger UI calls the prefixed URLs of an app that
    is mounted or behind a proxy. A document that lists servers already, or an empty
    ``root_path``, is returned as is; otherwise a shallow copy, so the cached one is unchanged.
    """
    root_path = root_path.rstrip("/")
    if not root_path or document.get("servers"):
        return document
    served = {key: value for key, value in document.items() if key != "paths"}
    served["servers"] = [{"url": root_path}]
    served["paths"] = document["paths"]  # keys in the usual order: servers before paths
    return served


def openapi_path(path: str) -> str:
    """``/users/{id:int}`` as OpenAPI writes it: ``/users/{id}``."""
    return _PARAM.sub(r"{\1}", path)


class _Builder:
    def __init__(self, error_format: str) -> None:
        self.error_format = error_format
        self.registry = SchemaRegistry()
        self.security_schemes = SecuritySchemes()
        self.paths: dict[str, dict[str, Any]] = {}
        self._operation_ids: set[str] = set()
        self._explicit_ids: set[str] = set()

    def add(self, route: Route) -> None:
        # HEAD is answered automatically for GET routes; it is not a separate operation.
        methods = [m for m in sorted(route.methods) if m != "HEAD" or "GET" not in route.methods]
        item = self.paths.setdefault(openapi_path(route.path), {})
        for method in methods:
            item[method.lower()] = self.operation(route, method)

    def operation(self, route: Route, method: str) -> dict[str, Any]:
        casts: dict[str, Any] = {}
        plan = _plan_of(route)
        bound = _collect(plan, casts)
        operation: dict[str, Any] = {"operationId": self._operation_id(route, method)}
        operation.update(_docs(route))
        if route.tags:
            operation["tags"] = list(route.tags)
        # include_in_schema=False hides a parameter from the document, not from validation.
        shown = [p for p in bound if p.marker is None or p.marker.include_in_schema]
        parameters = self._path_parameters(route, casts, bound)
        parameters += [self._parameter(p) for p in shown if p.source in _LOCATIONS]
        if parameters:
            operation["parameters"] = parameters
        body = self._request_body(shown)
        if body is not None:
            operation["requestBody"] = body
        # A path value the annotation converts (``item_id: int``, an Enum) can be refused too.
        operation["responses"] = self._responses(route, bool(bound or casts))
        apply(operation, contributions(plan), self.security_schemes)
        if route.options.get("deprecated"):
            operation["deprecated"] = True
        extra = route.options.get("openapi_extra")
        if extra:
            deep_merge(operation, extra)
        return operation

    def reserve(self, routes: Iterable[Route]) -> None:
        """Keep the ``operation_id=`` options of ``routes`` from ids generated for other routes."""
        for route in routes:
            explicit = route.options.get("operation_id")
            if explicit:
                self._explicit_ids.add(str(explicit))

    def _operation_id(self, route: Route, method: str) -> str:
        explicit = route.options.get("operation_id")
        generate = route.options.get("generate_unique_id_function")
        if explicit:
            base = str(explicit)
        elif generate is not None:
            base = str(generate(route))
        else:
            base = getattr(route.endpoint, "__name__", route.name)
        # A generated id steers clear of every explicit one; an explicit id repeated (another
        # route, another method of the route) is made unique the same way, by method then counter.
        reserved = self._explicit_ids - {base} if explicit else self._explicit_ids
        taken = self._operation_ids | reserved
        candidate = base
        if candidate in taken:
            candidate = f"{base}_{method.lower()}"
        counter = 2
        while candidate in taken:
            candidate = f"{base}_{method.lower()}_{counter}"
            counter += 1
        self._operation_ids.add(candidate)
        return candidate

    def _path_parameters(
        self, route: Route, casts: dict[str, Any], bound: list[BoundParameter]
    ) -> list[dict[str, Any]]:
        markers = {p.key: p for p in bound if p.source == "path"}
        parameters = []
        for name, convertor in route.template.convertors.items():
            if name in markers:
                parameters.append(self._parameter(markers[name]))
                continue
            schema = self.registry.schema(casts[name]) if name in casts else _convertor(convertor)
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return parameters

    def _parameter(self, parameter: BoundParameter) -> dict[str, Any]:
        marker = parameter.marker
        schema = self._bound_schema(parameter)
        spec: dict[str, Any] = {"name": parameter.key, "in": parameter.source.value}
        spec["required"] = parameter.source == "path" or parameter.default is REQUIRED
        if marker is not None and marker.description:
            spec["description"] = marker.description
        if marker is not None and marker.deprecated:
            spec["deprecated"] = True
        if marker is not None and marker.examples:
            schema["examples"] = [json_value(example) for example in marker.examples]
        spec["schema"] = schema
        if marker is not None and marker.openapi_examples:
            spec["examples"] = _examples(marker.openapi_examples)
        return spec

    def _bound_schema(self, parameter: BoundParameter) -> Schema:
        marker = parameter.marker
        constraints = marker.constraints if marker is not None else None
        schema = self.registry.schema(parameter.annotation, constraints)
        if parameter.default is not REQUIRED and "$ref" not in schema:
            try:
                schema["default"] = json_value(parameter.default)
            except TypeError:
                pass
        if marker is not None and marker.description and "$ref" not in schema:
            schema.setdefault("description", marker.description)
        if marker is not None and marker.title:
            schema["title"] = marker.title
        return schema

    def _field_schema(self, parameter: BoundParameter) -> Schema:
        """The schema of a body, body field, form field or file, with its marker's metadata."""
        if parameter.source == "file":
            item: Schema = {"type": "string", "format": "binary"}
            schema: Schema = {"type": "array", "items": item} if parameter.many else item
        else:
            schema = self._bound_schema(parameter)
        marker = parameter.marker
        if marker is None:
            return schema
        # Next to a $ref too: OpenAPI 3.1 schemas are JSON Schema 2020-12, where that is allowed.
        if marker.description:
            schema.setdefault("description", marker.description)
        examples = [json_value(example) for example in marker.examples or ()]
        if marker.openapi_examples and parameter.source != "body":
            # One field of a body or form: its examples are values of that field, which is
            # what JSON Schema's ``examples`` lists (a whole body's go on its media type).
            examples += [
                example["value"]
                for example in _examples(marker.openapi_examples).values()
                if "value" in example
            ]
        if examples:
            schema["examples"] = examples
        if marker.deprecated:
            schema["deprecated"] = True
        return schema

    def _request_body(self, bound: list[BoundParameter]) -> dict[str, Any] | None:
        whole = [p for p in bound if p.source == "body"]
        if whole:
            body = _body(
                "application/json", self._field_schema(whole[0]), whole[0].default is REQUIRED
            )
            marker = whole[0].marker
            if marker is not None and marker.openapi_examples:
                body["content"]["application/json"]["examples"] = _examples(marker.openapi_examples)
            if marker is not None and marker.description:
                body = {"description": marker.description, **body}
            return body
        fields = [p for p in bound if p.source == "body_field"]
        if fields:
            return _body("application/json", self._object(fields), _any_required(fields))
        form = [p for p in bound if p.source in ("form", "file")]
        if form:
            files = any(p.source == "file" for p in form)
            media = "multipart/form-data" if files else "application/x-www-form-urlencoded"
            return _body(media, self._object(form), _any_required(form))
        return None

    def _object(self, parameters: Iterable[BoundParameter]) -> Schema:
        properties: dict[str, Schema] = {}
        required: list[str] = []
        for parameter in parameters:
            properties[parameter.key] = self._field_schema(parameter)
            if parameter.default is REQUIRED:
                required.append(parameter.key)
        schema: Schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema

    def _responses(self, route: Route, validates: bool) -> dict[str, Any]:
        response_class = route.options.get("response_class")
        status = route.status_code or _default_status(response_class)
        description = route.options.get("response_description") or "Successful Response"
        success: dict[str, Any] = {"description": description}
        media = response_class.media_type if response_class is not None else "application/json"
        if call_kind(route.endpoint).is_generator:
            if not has_no_content(status):
                success["content"] = self._stream_content(route)
        elif media is not None and not has_no_content(status):
            if _is_json(media):
                schema = self._response_schema(route)
                if schema is not None:
                    success["content"] = {media: {"schema": schema}}
            else:
                # HTMLResponse, PlainTextResponse...: the result is sent as text.
                success["content"] = {media: {"schema": {"type": "string"}}}
        responses: dict[str, Any] = {str(status): success}
        if validates:
            responses["422"] = self._validation_response()
        for code, extra in route.options.get("responses", {}).items():
            responses[str(code)] = self._extra_response(responses.get(str(code), {}), extra)
        return responses

    def _response_schema(self, route: Route) -> Schema | None:
        if "response_model" in route.options:
            model = route.options["response_model"]
        else:
            model = return_annotation(route)
        if model is None or model is inspect.Signature.empty:
            return None
        if isinstance(model, type) and issubclass(model, Response | HTTPConnection):
            return None
        return self.registry.schema(model)

    def _stream_content(self, route: Route) -> dict[str, Any]:
        """A generator handler's stream, described by its items' schema.

        OpenAPI 3.2 has ``itemSchema`` for sequential media types; 3.1 has only ``schema``,
        so JSON Lines documents the schema of one line and an event stream the schema of one
        event, its ``data`` JSON text of the item schema (``contentSchema``), as 3.2's
        special considerations for server-sent events describe it.
        """
        response_class = stream_response_class(route)
        media = response_class.media_type or "application/octet-stream"
        if not issubclass(response_class, EventSourceResponse | JSONLinesResponse):
            return {media: {"schema": {"type": "string"}}}
        model = stream_item_model(route)
        item = self.registry.schema(model) if model is not None else None
        if issubclass(response_class, JSONLinesResponse):
            return {media: {"schema": item if item is not None else {}}}
        data: Schema = {"type": "string", "contentMediaType": "application/json"}
        if item is not None:
            data["contentSchema"] = item
        event: Schema = {
            "type": "object",
            "properties": {
                "data": data,
                "event": {"type": "string"},
                "id": {"type": "string"},
                "retry": {"type": "integer", "minimum": 0},
            },
        }
        return {media: {"schema": event}}

    def _extra_response(self, current: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        # Merged into what the route documents itself, as FastAPI does: another media type
        # for the 200 keeps its JSON schema.
        merged = deep_merge(
            copy.deepcopy(current), {k: v for k, v in extra.items() if k != "model"}
        )
        merged.setdefault("description", "Additional Response")
        if "model" in extra:
            # As in FastAPI, ``model`` sets the JSON schema and keeps the other media types
            # ``content`` lists (a response that may also be, say, a problem document).
            others = dict(merged.get("content", {}))
            json_media = {**others.pop("application/json", {})}
            json_media["schema"] = self.registry.schema(extra["model"])
            merged["content"] = {"application/json": json_media, **others}
        return merged

    def _validation_response(self) -> dict[str, Any]:
        """The 422 answer, as the error middleware sends it for the app's ``error_format``."""
        components = self.registry.components
        if self.error_format == "fastapi":
            # JSONResponse({"detail": [...]}): plain application/json, as in FastAPI.
            media = "application/json"
            name = self.registry.name_of(_FASTAPI_PROBLEM_KEY)
            issue = self.registry.name_of(_FASTAPI_ISSUE_KEY)
            components[issue] = _FASTAPI_ISSUE
            detail = {"type": "array", "items": {"$ref": REF_PREFIX + issue}}
            components[name] = {**_FASTAPI_PROBLEM, "properties": {"detail": detail}}
        else:
            media = "application/problem+json"
            name = self.registry.name_of(_PROBLEM_KEY)
            components[name] = _PROBLEM
        schema = {"$ref": REF_PREFIX + name}
        return {"description": "Validation Error", "content": {media: {"schema": schema}}}


_LOCATIONS = ("query", "header", "cookie")


def _plan_of(route: Route) -> Plan:
    if route.plan is not None:
        return route.plan
    # Not compiled yet (get_openapi before the app's first build): planned here, without the
    # app's overrides and dependencies, and not stored, so the app still plans it itself.
    declared = route.options.get("dependencies", ())
    return plan_handler(plan_context(route), route.endpoint, None, declared)


def _collect(plan: Plan, casts: dict[str, Any]) -> list[BoundParameter]:
    """Every bound parameter of a route's plan at any depth, once per (source, key).

    The handler's own parameters come first, then those of the ``dependencies=``.
    """
    seen: dict[tuple[str, str], BoundParameter] = {}

    def walk(entries: list[PlanEntry]) -> None:
        for entry in entries:
            if entry.parameter is not None:
                seen.setdefault((entry.parameter.source, entry.parameter.key), entry.parameter)
            elif entry.path_value is not None:
                casts[entry.name] = entry.path_value.annotation
            elif entry.dependency is not None:
                walk(entry.dependency.plan)

    walk(plan.entries)
    for node in plan.effects:
        walk(node.plan)
    return list(seen.values())


def _docs(route: Route) -> dict[str, str]:
    docs: dict[str, str] = {}
    doc = inspect.cleandoc(getattr(route.endpoint, "__doc__", None) or "")
    summary, _, rest = doc.partition("\n")
    summary = route.options.get("summary") or summary.strip()
    description = route.options.get("description") or rest.strip()
    if summary:
        docs["summary"] = summary
    if description:
        docs["description"] = description
    return docs


def _convertor(convertor: Convertor) -> Schema:
    if isinstance(convertor, IntConvertor):
        return {"type": "integer", "minimum": 0}
    if isinstance(convertor, FloatConvertor):
        return {"type": "number", "minimum": 0}
    if isinstance(convertor, UUIDConvertor):
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def deep_merge(target: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into ``target`` (and return it), as FastAPI merges ``openapi_extra``.

    Mappings merge key by key, lists are concatenated, anything else is replaced.
    """
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            target[key] = [*current, *copy.deepcopy(value)]
        else:
            target[key] = copy.deepcopy(value)
    return target


def _default_status(response_class: type[Response] | None) -> int:
    """The status a ``response_class`` gives by default (307 for a RedirectResponse)."""
    if response_class is None:
        return 200
    status = inspect.signature(response_class).parameters.get("status_code")
    default = status.default if status is not None else 200
    return default if isinstance(default, int) else 200


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _examples(examples: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``openapi_examples=`` as the ``examples`` map of OpenAPI Example Objects."""
    return {name: json_value(dict(example)) for name, example in examples.items()}


def _body(media: str, schema: Schema, required: bool) -> dict[str, Any]:
    return {"required": required, "content": {media: {"schema": schema}}}


def _any_required(parameters: Iterable[BoundParameter]) -> bool:
    return any(p.default is REQUIRED for p in parameters)


__all__ = ["get_openapi", "openapi_document", "openapi_path", "with_root_path"]
