"""schemathesis against the example app under real uvicorn: no 5xx, nothing outside its schema.

Every operation of ``examples/app.py``'s OpenAPI document gets generated requests (the
document's examples, schemathesis' coverage cases and a bounded, derandomised Hypothesis run),
sent over a socket to ``covet run examples.app:app`` on 127.0.0.1. Stateful testing
(``schema.as_state_machine()``) is not run: the document declares no links between operations.
"""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from schemathesis import Case

from examples.app import app
from tests.support.schemathesis_run import call_and_check, serving

pytestmark = pytest.mark.e2e

# Enough for every operation's coverage cases plus some random ones, and still ~10 s in all.
MAX_EXAMPLES = 30

DOCUMENT = app.openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``covet run examples.app:app`` (uvicorn) on a free port, serving the document tested."""
    with serving("examples.app:app", DOCUMENT, tmp_path_factory.mktemp("schemathesis")) as url:
        yield url


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same cases on every run, so CI is reproducible
    database=None,  # no failing examples saved and replayed (.hypothesis/ holds caches only)
    deadline=None,  # a request over a real socket may take longer than Hypothesis' 200 ms
)
def test_example_app_conforms_to_its_openapi_document(case: Case, base_url: str) -> None:
    call_and_check(case, base_url)
