"""``app.dependency_overrides``: a mapping whose every change re-plans the app's routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

Dependency = Callable[..., Any]


class DependencyOverrides(MutableMapping[Dependency, Dependency]):
    """Dependencies to replace (``{original: replacement}``), typically in tests.

    Every mutation (``[]=``, ``del``, ``update``, ``pop``, ``popitem``, ``setdefault``,
    ``clear``) calls ``changed``, so the next request is planned with the new overrides.
    ``MutableMapping`` builds the compound methods from ``__setitem__``/``__delitem__``, so
    no mutation can bypass the notification.
    """

    __slots__ = ("_changed", "_items")

    def __init__(
        self, changed: Callable[[], None], items: Mapping[Dependency, Dependency] | None = None
    ) -> None:
        self._items: dict[Dependency, Dependency] = dict(items or {})
        self._changed = changed

    def __getitem__(self, key: Dependency) -> Dependency:
        return self._items[key]

    def __setitem__(self, key: Dependency, value: Dependency) -> None:
        self._items[key] = value
        self._changed()

    def __delitem__(self, key: Dependency) -> None:
        del self._items[key]
        self._changed()

    def __iter__(self) -> Iterator[Dependency]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: Dependency, default: Any = None) -> Any:
        """The override of ``key``, or ``default`` (a dict lookup: planning calls it often)."""
        return self._items.get(key, default)

    def clear(self) -> None:
        """Remove every override (one re-plan, not one per item)."""
        self._items.clear()
        self._changed()

    def __repr__(self) -> str:
        return f"DependencyOverrides({self._items!r})"
