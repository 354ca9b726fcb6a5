"""The session of one request: a dict of JSON values that knows whether it changed."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covet.sessions.registry import Sessions


class Session(MutableMapping[str, Any]):
    """``request.session``: JSON-serialisable values by name, written back only if changed.

    Reading it marks the response ``Vary: Cookie``; changing it (or :meth:`regenerate`,
    :meth:`login`) makes the middleware write it back at the end of the request; emptying it
    deletes the cookie (and, server-side, the stored record).

    Attributes:
        id: The server-side session id (``None`` for signed-cookie sessions and for a new
            session until the response writes it).
        sessions: The :class:`~covet.sessions.Sessions` registry of server-side sessions
            (list and revoke a user's sessions), ``None`` for signed-cookie sessions.
        created: When the session began (seconds since the epoch), ``None`` when new.
        modified: Whether the data changed during this request.
        accessed: Whether the data was read (or changed) during this request.
    """

    __slots__ = (
        "_data",
        "_user_id",
        "accessed",
        "created",
        "id",
        "modified",
        "regenerated",
        "sessions",
    )

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        id: str | None = None,
        user_id: str | None = None,
        created: float | None = None,
        sessions: Sessions | None = None,
    ) -> None:
        self._data: dict[str, Any] = data or {}
        self._user_id = user_id
        self.id = id
        self.created = created
        self.sessions = sessions
        self.modified = False
        self.accessed = False
        self.regenerated = False

    # -- the mapping ----------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.accessed = self.modified = True
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        self.accessed = self.modified = True
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        self.accessed = True
        return iter(self._data)

    def __len__(self) -> int:
        self.accessed = True
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return key in self._data

    def __repr__(self) -> str:
        return f"Session({self._data!r}, id={self.id!r}, user_id={self._user_id!r})"

    def clear(self) -> None:
        """Empty the session (and forget its user); the response deletes the cookie."""
        self.accessed = True
        if self._data or self._user_id is not None:
            self.modified = True
        self._data.clear()
        self._user_id = None

    # -- identity -------------------------------------------------------------------------

    @property
    def user_id(self) -> str | None:
        """The user this session is indexed under (for listing and revoking), or ``None``."""
        self.accessed = True
        return self._user_id

    @user_id.setter
    def user_id(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"session.user_id must be a str or None, not {type(value).__name__}")
        self.accessed = self.modified = True
        self._user_id = value

    def regenerate(self) -> None:
        """Give the session a new id with the same data; the old id stops working.

        Call it when privileges change (login, logout, sudo mode), so an id an attacker
        planted before the login (session fixation) is worth nothing after it.
        """
        self.accessed = self.modified = self.regenerated = True

    def login(self, user_id: str) -> None:
        """Record ``user_id`` as this session's user and :meth:`regenerate` its id."""
        self.user_id = user_id
        self.regenerate()

    def logout(self) -> None:
        """Forget the user and every value; the response deletes the session."""
        self.clear()
        self.modified = True

    def data(self) -> dict[str, Any]:
        """A copy of the values (without marking the session accessed)."""
        return dict(self._data)

    def stored_user_id(self) -> str | None:
        """The user id without marking the session accessed (for the middleware)."""
        return self._user_id
