"""The built-in key functions: by address, by user (else address)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from covet import Request
from covet.ratelimit import client_ip, user_or_ip


def request(**scope: Any) -> Request:
    return Request({"type": "http", "headers": [], "client": ("192.0.2.7", 1), **scope})


@dataclass
class Account:
    id: int


@dataclass
class Principal:
    identity: str
    id: int = 0


@pytest.mark.parametrize(
    ("scope", "key"),
    [
        ({}, "192.0.2.7"),
        ({"user": "ann"}, "user:ann"),
        ({"user": 42}, "user:42"),
        ({"user": Account(7)}, "user:7"),
        ({"user": Principal("ann@example.org", 3)}, "user:ann@example.org"),
        ({"user": ""}, "192.0.2.7"),
        ({"user": True}, "192.0.2.7"),
        ({"user": object()}, "192.0.2.7"),
        ({"state": {"user": "bob"}}, "user:bob"),
        ({"user": None, "state": {"user": Account(9)}}, "user:9"),
        ({"client": None}, "unknown"),
    ],
    ids=[
        "anonymous",
        "str",
        "int",
        "id",
        "identity",
        "empty",
        "bool",
        "opaque",
        "state",
        "state-object",
        "no-client",
    ],
)
def test_user_or_ip(scope: dict[str, Any], key: str) -> None:
    assert user_or_ip(request(**scope)) == key


def test_client_ip() -> None:
    assert client_ip(request()) == "192.0.2.7"
    assert client_ip(request(client=None)) == "unknown"
