"""The one sync/async detector: through partials, callable objects and classes."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from covet._callables import CallKind, call_kind, callable_name, is_async_callable


async def coroutine_function() -> None:
    return None


async def async_generator() -> AsyncIterator[int]:
    yield 1


def generator() -> Iterator[int]:
    yield 1


def plain() -> None:
    return None


class AsyncCall:
    async def __call__(self) -> None:
        return None


class SyncCall:
    def __call__(self) -> None:
        return None


class Built:
    async def __call__(self) -> None:
        return None


CASES: list[tuple[Any, CallKind]] = [
    (coroutine_function, CallKind.ASYNC),
    (functools.partial(coroutine_function), CallKind.ASYNC),
    (functools.partial(functools.partial(coroutine_function)), CallKind.ASYNC),
    (AsyncCall(), CallKind.ASYNC),
    (functools.partial(AsyncCall()), CallKind.ASYNC),
    (AsyncCall().__call__, CallKind.ASYNC),
    (async_generator, CallKind.ASYNC_GENERATOR),
    (functools.partial(async_generator), CallKind.ASYNC_GENERATOR),
    (generator, CallKind.GENERATOR),
    (functools.partial(generator), CallKind.GENERATOR),
    (plain, CallKind.SYNC),
    (functools.partial(plain), CallKind.SYNC),
    (SyncCall(), CallKind.SYNC),
    (Built, CallKind.SYNC),  # calling the class builds an instance
    (print, CallKind.SYNC),
]


@pytest.mark.parametrize(("func", "kind"), CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_call_kind(func: Any, kind: CallKind) -> None:
    assert call_kind(func) is kind
    assert is_async_callable(func) is (kind is CallKind.ASYNC)


def test_callable_name_sees_through_partials() -> None:
    assert callable_name(functools.partial(plain)) == f"{__name__}.plain"
    assert callable_name(Built) == f"{__name__}.Built"
