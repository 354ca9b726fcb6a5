"""Server-side sessions in a store, indexed by user: list, revoke one, revoke all."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from covet.stores import Store

ID_BYTES = 32  # 256 bits of randomness per session id


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One active session of a user, as :meth:`Sessions.list` reports it.

    Attributes:
        id: The session id (compare with ``request.session.id`` to mark "this device").
        user_id: The user it belongs to.
        created: When it began (seconds since the epoch).
        last_seen: When a request last used it (to within a quarter of the idle timeout).
        data: Its values.
    """

    id: str
    user_id: str | None
    created: float
    last_seen: float
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What the store holds for one session."""

    data: dict[str, Any]
    user_id: str | None
    created: float
    last_seen: float

    def dumps(self) -> bytes:
        """The record as JSON bytes."""
        document = {"d": self.data, "u": self.user_id, "c": self.created, "s": self.last_seen}
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    @classmethod
    def loads(cls, raw: bytes) -> SessionRecord | None:
        """The record in ``raw``; ``None`` when it is not one (never raises)."""
        try:
            document = json.loads(raw)
            data, user_id = document["d"], document["u"]
            created, last_seen = float(document["c"]), float(document["s"])
        except (ValueError, TypeError, KeyError):
            return None
        if not isinstance(data, dict) or not (user_id is None or isinstance(user_id, str)):
            return None
        return cls(data, user_id, created, last_seen)


class Sessions:
    """The server-side sessions of an app, kept in a store and indexed by user.

    Create it once, hand it to :class:`~covet.middleware.SessionMiddleware`
    (``sessions=``) and keep it for the account pages::

        sessions = Sessions(store_from_url("redis://127.0.0.1:6379/0"))
        app.add_middleware(SessionMiddleware, secret_keys=[KEY], sessions=sessions)
        ...
        await sessions.revoke_all(user_id, keep=request.session.id)  # password changed

    A session is listed under its user once ``request.session.login(user_id)`` (or
    ``request.session.user_id = ...``) ran. Revoking deletes the stored record, so the
    cookie that named it gets an empty session on every process sharing the store.

    Args:
        store: Where the records live (a :class:`~covet.stores.RedisStore` to share them
            across processes).
        prefix: The key prefix of the records (``<prefix><id>``) and user indexes
            (``<prefix>user:<user_id>``) inside the store's namespace.
    """

    def __init__(self, store: Store, *, prefix: str = "session:") -> None:
        if not isinstance(store, Store):
            raise TypeError(f"Sessions needs a covet.stores.Store, not {type(store).__name__}")
        self.store = store
        self.prefix = prefix

    @staticmethod
    def new_id() -> str:
        """A fresh unguessable session id."""
        return secrets.token_urlsafe(ID_BYTES)

    def _key(self, session_id: str) -> str:
        return f"{self.prefix}{session_id}"

    def _user_key(self, user_id: str) -> str:
        return f"{self.prefix}user:{user_id}"

    async def load(self, session_id: str) -> SessionRecord | None:
        """The record of ``session_id``, or ``None`` if it expired, was revoked or is bad."""
        raw = await self.store.get(self._key(session_id))
        return None if raw is None else SessionRecord.loads(raw)

    async def save(self, session_id: str, record: SessionRecord, *, ttl: float) -> None:
        """Store ``record`` for ``ttl`` seconds and index it under its user."""
        await self.store.set(self._key(session_id), record.dumps(), ttl=ttl)
        if record.user_id is not None:
            await self.store.set_add(self._user_key(record.user_id), session_id, ttl=ttl)

    async def discard(self, session_id: str, user_id: str | None) -> None:
        """Delete the record of ``session_id`` and drop it from ``user_id``'s index."""
        await self.store.delete(self._key(session_id))
        if user_id is not None:
            await self.store.set_remove(self._user_key(user_id), session_id)

    async def unindex(self, session_id: str, user_id: str) -> None:
        """Drop ``session_id`` from ``user_id``'s index (the session changed user)."""
        await self.store.set_remove(self._user_key(user_id), session_id)

    async def list(self, user_id: str) -> list[SessionInfo]:
        """The active sessions of ``user_id``, oldest first (expired ones are pruned)."""
        found: list[SessionInfo] = []
        stale: list[str] = []
        for session_id in sorted(await self.store.set_members(self._user_key(user_id))):
            record = await self.load(session_id)
            if record is None or record.user_id != user_id:
                stale.append(session_id)
                continue
            found.append(
                SessionInfo(session_id, user_id, record.created, record.last_seen, record.data)
            )
        if stale:
            await self.store.set_remove(self._user_key(user_id), *stale)
        return sorted(found, key=lambda info: info.created)

    async def revoke(self, session_id: str) -> bool:
        """End one session everywhere; whether it was active."""
        record = await self.load(session_id)
        deleted = await self.store.delete(self._key(session_id))
        if record is not None and record.user_id is not None:
            await self.store.set_remove(self._user_key(record.user_id), session_id)
        return deleted > 0

    async def revoke_all(self, user_id: str, *, keep: str | None = None) -> int:
        """End every session of ``user_id`` except ``keep``; how many were active.

        Call it after a password change with ``keep=request.session.id`` to log out every
        other device and keep the current one.
        """
        members = await self.store.set_members(self._user_key(user_id))
        doomed = sorted(members - {keep} if keep is not None else members)
        if not doomed:
            return 0
        deleted = await self.store.delete(*(self._key(session_id) for session_id in doomed))
        await self.store.set_remove(self._user_key(user_id), *doomed)
        return deleted
