"""What both schemathesis tests share: the checks they run and the server they run them against."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from schemathesis import Case, GenerationMode, checks

from tests.support.servers import answers_http, free_port, running_server

# ``unsupported_method`` and ``allow_header_conformance`` judge schemathesis' wrong-method probes
# (405 with an ``Allow`` header). Not run: ``missing_required_header`` and ``ignored_auth`` (no
# required headers, no security schemes), ``use_after_free`` and ``ensure_resource_availability``
# (stateful only), ``max_response_time`` (timing is not correctness on a shared CI machine).

# Requests valid under the document: the response must be one the document describes
# (status code, content type, headers, body schema), never a 5xx, and the valid data must not be
# refused with a 400/422 (``positive_data_acceptance``; 404 stays allowed, as an id that fits the
# schema may name no item).
VALID_REQUEST_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.positive_data_acceptance,
    checks.unsupported_method,
    checks.allow_header_conformance,
]

# Requests invalid under the document must be refused with a 4xx (never a 5xx), and a documented
# answer (the 422 ValidationProblem) must still match its schema. ``status_code_conformance`` is
# left out here on purpose: invalid input is refused before any handler runs, by answers the
# document does not list per operation (as FastAPI's do not either): 404 when a path segment does
# not fit the route's convertor (``/api/items/-1``), 400 for a body that is not JSON, 415 for
# another media type. ``negative_data_rejection`` checks those are proper 4xx refusals.
INVALID_REQUEST_CHECKS = [
    checks.not_a_server_error,
    checks.negative_data_rejection,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,
    checks.allow_header_conformance,
]


def is_invalid(case: Case) -> bool:
    """Whether schemathesis generated ``case`` to break the document (a negative case)."""
    return case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE


def call_and_check(case: Case, base_url: str) -> None:
    """Send ``case`` to the server and run the checks for its kind."""
    case.call_and_validate(
        base_url=base_url,
        checks=INVALID_REQUEST_CHECKS if is_invalid(case) else VALID_REQUEST_CHECKS,
        timeout=10,
    )


@contextlib.contextmanager
def serving(target: str, document: dict[str, Any], log_dir: Path) -> Iterator[str]:
    """``covet run target`` (uvicorn) on a free port; yield its URL once it serves ``document``.

    The tests take the document from the app at import, so pytest can list one test per
    operation (``schemathesis.pytest.from_fixture``, which would load it from the server, fails
    under pytest 9.2: it reads ``Function._nodeid``, which no longer exists); the server must
    serve exactly that document.
    """
    port = free_port()
    argv = [
        *(sys.executable, "-m", "covet", "run", target),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]
    with running_server(
        argv,
        port=port,
        log_path=log_dir / "server.log",
        ready=functools.partial(answers_http, path="/openapi.json"),
    ):
        url = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{url}/openapi.json", timeout=5) as response:
            assert json.load(response) == document, "the server must serve the document tested"
        yield url
