"""One-time tickets for connections that cannot send an ``Authorization`` header.

A browser's ``WebSocket`` (and ``EventSource``) cannot set headers. The page asks an
authenticated HTTP route for a ticket, then connects with ``?ticket=...``: the ticket lives
seconds, works once (redeemed atomically, across processes on Redis), and is stored only as
its SHA-256, so neither a log line after use nor the store's contents can be replayed.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from covet.exceptions import ConfigurationError, HTTPException
from covet.params import SecurityScopes
from covet.requests import HTTPConnection
from covet.security.tokens import TokenStoreUnavailableError, require_granted
from covet.security.utils import with_annotations
from covet.stores import MemoryStore, Store, StoreUnavailableError

_TICKET = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_TICKET_TTL = 300.0
_CACHE = "covet.security.tickets"  # the connection's redeemed tickets (scope key)


@dataclass(frozen=True, slots=True)
class Ticket:
    """What a redeemed ticket says about its holder (``scopes``/``roles`` feed the guards).

    Attributes:
        subject: The user the ticket was issued to.
        scopes: Scopes granted to the connection.
        roles: Roles of the user.
        data: Anything else the issuing route attached (JSON values).
    """

    subject: str
    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    data: Mapping[str, Any] = field(default_factory=dict)


class InvalidTicketError(HTTPException):
    """A missing, malformed, unknown, expired or already used ticket: 401 (close 1008)."""

    def __init__(self, detail: str = "Invalid or used ticket") -> None:
        super().__init__(401, detail, {"WWW-Authenticate": "Ticket"})


class WebSocketTickets:
    """Issue single-use, short-lived tickets and redeem them on connect.

    ``await tickets.issue(subject, scopes=..., roles=...)`` in an authenticated route gives a
    ticket; ``tickets.current_ticket`` is the dependency of the WebSocket (or event-stream)
    route, reading the ``param`` query parameter and giving the :class:`Ticket`. It takes
    ``Security(..., scopes=)`` and works with ``require_scopes``/``require_roles``.

    Args:
        store: Where tickets wait (default: a :class:`~covet.stores.MemoryStore`, per
            process; a :class:`~covet.stores.RedisStore` lets another process redeem them).
        ttl: Seconds a ticket stays valid (default 30, at most 300).
        param: The query parameter carrying the ticket.
        namespace: The prefix of this object's store keys.

    Raises:
        ConfigurationError: a TTL out of range or an empty parameter name.
    """

    def __init__(
        self,
        *,
        store: Store | None = None,
        ttl: float = 30.0,
        param: str = "ticket",
        namespace: str = "ticket:",
    ) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= 300:
            raise ConfigurationError(f"ticket ttl must be 0 to {MAX_TICKET_TTL:g} s, not {ttl!r}.")
        if not isinstance(param, str) or not param:
            raise ConfigurationError(f"param must be a query parameter name, not {param!r}.")
        self.store: Store = store if store is not None else MemoryStore()
        self.ttl, self.param, self.namespace = float(ttl), param, namespace
        self.current_ticket = self._ticket_dependency()

    def __repr__(self) -> str:
        return f"WebSocketTickets(ttl={self.ttl:g}, param={self.param!r}, store={self.store!r})"

    async def issue(
        self,
        subject: str,
        *,
        scopes: Iterable[str] = (),
        roles: Iterable[str] = (),
        data: Mapping[str, Any] | None = None,
    ) -> str:
        """A new ticket for ``subject`` (43 URL-safe characters, 256 random bits).

        Raises:
            TokenStoreUnavailableError: the store is down (503).
        """
        if not isinstance(subject, str) or not subject:
            raise ValueError(f"subject must be a non-empty string, not {subject!r}")
        body = {
            "sub": subject,
            "scopes": sorted(set(scopes)),
            "roles": sorted(set(roles)),
            "data": dict(data or {}),
        }
        ticket = secrets.token_urlsafe(32)
        encoded = json.dumps(body, separators=(",", ":")).encode()
        await _guarded(self.store.set(self._key("t", ticket), encoded, ttl=self.ttl))
        return ticket

    async def redeem(self, ticket: str) -> Ticket:
        """Use ``ticket`` up: its :class:`Ticket`, once; every later call is refused.

        Raises:
            InvalidTicketError: malformed, unknown, expired or already used (401).
            TokenStoreUnavailableError: the store is down (503).
        """
        if not isinstance(ticket, str) or not _TICKET.fullmatch(ticket):
            raise InvalidTicketError()
        key = self._key("t", ticket)
        stored = await _guarded(self.store.get(key))
        if stored is None:
            raise InvalidTicketError()
        # The first to count the ticket owns it: atomic on the store, so two connections
        # racing with one ticket (on one process or two) get one success between them.
        uses = await _guarded(self.store.incr(self._key("used", ticket), ttl=self.ttl))
        if uses != 1:
            raise InvalidTicketError()
        await _guarded(self.store.delete(key))
        body = json.loads(stored)
        return Ticket(
            body["sub"], frozenset(body["scopes"]), frozenset(body["roles"]), body["data"]
        )

    def _key(self, kind: str, ticket: str) -> str:
        return f"{self.namespace}{kind}:{hashlib.sha256(ticket.encode()).hexdigest()}"

    def _ticket_dependency(self) -> Callable[..., Any]:
        tickets = self

        async def current_ticket(
            connection: HTTPConnection, security_scopes: SecurityScopes
        ) -> Ticket:
            presented = connection.query_params.get(tickets.param)
            if not presented:
                raise InvalidTicketError("Not authenticated")
            # Redeemed once per connection, however many guards ask (with their own scopes).
            redeemed: dict[str, Ticket] = connection.scope.setdefault(_CACHE, {})
            ticket = redeemed.get(presented)
            if ticket is None:
                ticket = redeemed[presented] = await tickets.redeem(presented)
            require_granted(security_scopes.scopes, ticket.scopes)
            return ticket

        return with_annotations(
            current_ticket, Ticket, connection=HTTPConnection, security_scopes=SecurityScopes
        )


async def _guarded(operation: Any) -> Any:
    try:
        return await operation
    except StoreUnavailableError:
        raise TokenStoreUnavailableError() from None


__all__ = ["InvalidTicketError", "Ticket", "WebSocketTickets"]
