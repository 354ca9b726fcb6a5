"""schemathesis against the example app under real uvicorn: no 5xx, nothing outside its schema.

Every operation of ``examples/app.py``'s OpenAPI document gets generated requests (the
document's examples, schemathesis' coverage cases and a bounded, derandomised Hypothesis run),
sent over a socket to ``covet run examples.app:app`` on 127.0.0.1. Stateful testing
(``schema.as_state_machine()``) is not run: the document declares no links between operations.
"""

from __future__ import annotations

import functools
import json
import sys
import urllib.request
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, GenerationMode, checks

from examples.app import app
from tests.support.servers import answers_http, free_port, running_server

pytestmark = pytest.mark.e2e

# Enough for every operation's coverage cases plus some random ones, and still ~10 s in all.
MAX_EXAMPLES = 30

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

# The document is taken from the app at import, so pytest can list one test per operation; the
# fixture checks the server serves exactly this document. (``schemathesis.pytest.from_fixture``,
# which would load it from the server, fails under pytest 9.2: it reads ``Function._nodeid``,
# which no longer exists.)
DOCUMENT = app.openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``covet run examples.app:app`` (uvicorn) on a free port, serving the document tested."""
    port = free_port()
    argv = [
        *(sys.executable, "-m", "covet", "run", "examples.app:app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]
    with running_server(
        argv,
        port=port,
        log_path=tmp_path_factory.mktemp("schemathesis") / "server.log",
        ready=functools.partial(answers_http, path="/openapi.json"),
    ):
        url = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{url}/openapi.json", timeout=5) as response:
            assert json.load(response) == DOCUMENT, "the server must serve the document tested"
        yield url


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same cases on every run, so CI is reproducible
    database=None,  # no failing examples saved and replayed (.hypothesis/ holds caches only)
    deadline=None,  # a request over a real socket may take longer than Hypothesis' 200 ms
)
def test_example_app_conforms_to_its_openapi_document(case: Case, base_url: str) -> None:
    invalid = case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE
    case.call_and_validate(
        base_url=base_url,
        checks=INVALID_REQUEST_CHECKS if invalid else VALID_REQUEST_CHECKS,
        timeout=10,
    )
