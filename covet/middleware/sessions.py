"""Sessions: signed-cookie or server-side (in a store), with rotation, timeouts and revocation."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from covet._parsers.cookies import parse_cookie_header
from covet.exceptions import ConfigurationError
from covet.middleware._config import resolve_config
from covet.responses.problem import ProblemResponse
from covet.sessions._signing import (
    Signer,
    b64decode,
    b64encode,
    check_secret_types,
    secret_problem,
)
from covet.sessions.registry import SessionRecord, Sessions
from covet.sessions.session import Session
from covet.stores import Store, StoreUnavailableError
from covet.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("covet.sessions")

DAY = 24 * 60 * 60
#: The key of a route's ``opt`` mapping that keeps sessions out of it (``False``).
OPT_KEY = "session"
#: Set in the scope of a request whose route opted out, so ``request.session`` can say so.
OPTED_OUT = "covet.session_opted_out"
MAX_COOKIE_BYTES = 4096  # what every browser keeps of one cookie, name and attributes included
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SAME_SITE = {"lax": "Lax", "strict": "Strict", "none": "None"}
_EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"SessionMiddleware: {name} must be a positive number of seconds")
    return float(value)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The settings of :class:`SessionMiddleware`, validated when built.

    Attributes:
        secret_keys: Signing keys, newest first (at least 32 bytes each): the first signs,
            every key verifies, and a cookie signed by an older key is re-signed with the
            newest when the response writes it. Rotate by prepending a new key.
        store: Keep the session data server-side in this store (the cookie then holds only
            a signed random id). Without a store the data travels in the signed cookie.
        sessions: A :class:`~covet.sessions.Sessions` registry instead of ``store=``, when
            the app also lists or revokes sessions (give one or the other).
        cookie_name: The cookie's name; ``__Host-session`` when ``secure`` with ``path="/"``
            and no ``domain`` (the browser then refuses it from subdomains and plain HTTP),
            else ``session``.
        max_age: Absolute lifetime in seconds from the login (or first write): after it the
            session is over however active it is.
        idle_timeout: Seconds without a request after which the session is over (``None``:
            only ``max_age`` applies).
        secure: Send the cookie over HTTPS only.
        http_only: Hide the cookie from JavaScript.
        same_site: ``"lax"``, ``"strict"`` or ``"none"`` (which needs ``secure``).
        path: The cookie's path.
        domain: The cookie's domain (``None``: this host only).
        retry_after: Seconds named in the 503's ``Retry-After`` while the store is down.
        clock: Seconds since the epoch (shared by every process); tests may pass their own.
    """

    secret_keys: Sequence[str | bytes] = ()
    store: Store | None = None
    sessions: Sessions | None = None
    cookie_name: str | None = None
    max_age: float = 14 * DAY
    idle_timeout: float | None = DAY
    secure: bool = True
    http_only: bool = True
    same_site: str = "lax"
    path: str = "/"
    domain: str | None = None
    retry_after: int = 5
    clock: Callable[[], float] = field(default=time.time)

    def __post_init__(self) -> None:
        check_secret_types("SessionMiddleware: secret_keys", self.secret_keys)
        if self.store is not None and self.sessions is not None:
            raise ConfigurationError(
                "SessionMiddleware: give store= or sessions= (a Sessions built on a store), "
                "not both."
            )
        if self.store is not None and not isinstance(self.store, Store):
            raise ConfigurationError(
                f"SessionMiddleware: store= must be a covet.stores.Store (MemoryStore, "
                f"RedisStore, store_from_url(...)), not {type(self.store).__name__}."
            )
        if self.sessions is not None and not isinstance(self.sessions, Sessions):
            raise ConfigurationError(
                "SessionMiddleware: sessions= must be a covet.sessions.Sessions."
            )
        max_age = _positive("max_age", self.max_age)
        if self.idle_timeout is not None and _positive("idle_timeout", self.idle_timeout) > max_age:
            raise ConfigurationError("SessionMiddleware: idle_timeout cannot exceed max_age.")
        if self.same_site.lower() not in _SAME_SITE:
            raise ConfigurationError(
                f"SessionMiddleware: same_site must be 'lax', 'strict' or 'none', "
                f"not {self.same_site!r}."
            )
        if self.same_site.lower() == "none" and not self.secure:
            raise ConfigurationError(
                "SessionMiddleware: same_site='none' needs secure=True (browsers drop it)."
            )
        self._check_name(self.name)

    @property
    def name(self) -> str:
        """The cookie name in force (``cookie_name`` or its secure default)."""
        if self.cookie_name is not None:
            return self.cookie_name
        host_only = self.secure and self.path == "/" and self.domain is None
        return "__Host-session" if host_only else "session"

    def _check_name(self, name: str) -> None:
        if not _TOKEN.fullmatch(name):
            raise ConfigurationError(
                f"SessionMiddleware: cookie_name {name!r} is not a valid cookie name."
            )
        if name.startswith("__Host-") and not (
            self.secure and self.path == "/" and self.domain is None
        ):
            raise ConfigurationError(
                "SessionMiddleware: a __Host- cookie needs secure=True, path='/' and no domain."
            )
        if name.startswith("__Secure-") and not self.secure:
            raise ConfigurationError("SessionMiddleware: a __Secure- cookie needs secure=True.")


@dataclass(slots=True)
class _Loaded:
    """What the request's cookie held, for deciding what the response writes."""

    had_cookie: bool = False
    valid: bool = False
    key_index: int = 0
    last_seen: float | None = None
    user_id: str | None = None
    committed: bool = False


class SessionMiddleware:
    """Give every request a ``request.session``, kept in a signed cookie or a store.

    Tampered, expired, revoked or garbage cookies give an empty session, never an error.
    The session is written back (``Set-Cookie``, store write) only when it changed, when an
    old key signed it, or to keep an active session from idling out; an emptied session
    deletes the cookie; a session that was read adds ``Vary: Cookie``. With a store, an
    outage answers 503 with ``Retry-After`` and recovers by itself.

    The app refuses to start with no secret, a known sample secret or one shorter than 32
    bytes, unless it runs with ``debug=True``.

    Args:
        app: The wrapped application.
        config: A ready :class:`SessionConfig` (or give its fields as keyword options).
        **options: The :class:`SessionConfig` fields.
    """

    def __init__(self, app: ASGIApp, *, config: SessionConfig | None = None, **options: Any):
        if "secret_key" in options:
            raise ConfigurationError(
                "SessionMiddleware takes secret_keys=[new, old, ...] (a list, newest first, "
                "for rotation), not secret_key=."
            )
        self.app = app
        self.config = resolve_config("SessionMiddleware", SessionConfig, config, options)
        keys = check_secret_types("secret_keys", self.config.secret_keys)
        self._problem = secret_problem(keys)
        # With debug=True and no key, sessions still work, signed by a key of this process.
        self._signer = Signer(keys or (secrets.token_bytes(32),), b"covet.sessions.v1")
        store = self.config.store
        self.sessions = self.config.sessions or (Sessions(store) if store is not None else None)
        self._name = self.config.name
        self._attributes = self._cookie_attributes()
        self._checked = self._problem is None
        # Whether any route says opt={"session": False} (None: not looked yet). Without
        # any, no request pays for finding its route.
        self._opt_outs: bool | None = None

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Refuse a weak secret and bad route options at start-up; open and close the store."""
        self._check_secret(app)
        self._opt_outs = self._find_opt_outs(app)
        if self.sessions is None:
            yield
            return
        async with self.sessions.store.lifespan(app):
            yield

    def _check_secret(self, app: Any) -> None:
        if self._problem is None or self._checked:
            return
        if not getattr(app, "debug", False):
            raise ConfigurationError(
                f"SessionMiddleware: {self._problem}. Give secret_keys=[...] at least 32 random "
                "bytes kept out of the code, e.g. secrets.token_urlsafe(32) in an environment "
                "variable (CovetPy(debug=True) accepts a weak key for local development)."
            )
        logger.warning(
            "SessionMiddleware: %s; accepted because the app runs with debug=True", self._problem
        )
        self._checked = True

    def _find_opt_outs(self, app: Any) -> bool:
        found = False
        for route in getattr(getattr(app, "router", None), "routes", ()):
            opt = getattr(route, "opt", None)
            if opt and OPT_KEY in opt:
                if opt[OPT_KEY] is not False and opt[OPT_KEY] is not True:
                    raise ConfigurationError(
                        f"SessionMiddleware: opt['session'] of route {route.path!r} must be "
                        f"True or False, not {opt[OPT_KEY]!r}."
                    )
                found = found or opt[OPT_KEY] is False
        return found

    def _opted_out(self, scope: Scope) -> bool:
        app = scope.get("app")
        if self._opt_outs is None:
            self._opt_outs = self._find_opt_outs(app)
        if not self._opt_outs:
            return False
        router = getattr(app, "router", None)
        route = router.route_for(scope) if router is not None else None
        opt = getattr(route, "opt", None)
        return bool(opt) and opt.get(OPT_KEY, True) is False  # type: ignore[union-attr]

    # -- the request ----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        if not self._checked:
            self._check_secret(scope.get("app"))
        if self._opted_out(scope):
            scope[OPTED_OUT] = True
            await self.app(scope, receive, send)
            return
        try:
            session, loaded = await self._load(self._cookie(scope))
        except StoreUnavailableError as exc:
            await self._unavailable(scope, send, exc)
            return
        scope["session"] = session
        if kind == "websocket":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_with_session(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if message["type"] == "http.response.start" and not loaded.committed:
                loaded.committed = True
                try:
                    extra = await self._commit(session, loaded)
                except StoreUnavailableError as exc:
                    replaced = True
                    await self._unavailable(scope, send, exc)
                    return
                if extra:
                    message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _cookie(self, scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"cookie":
                found = parse_cookie_header(value.decode("latin-1")).get(self._name)
                if found is not None:
                    return found
        return None

    async def _unavailable(self, scope: Scope, send: Send, exc: StoreUnavailableError) -> None:
        logger.warning("SessionMiddleware: the session store is unavailable: %s", exc)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013, "reason": "Try again later"})
            return
        seconds = str(self.config.retry_after)
        response = ProblemResponse(
            503,
            "The session store is unavailable; try again shortly.",
            headers={"Retry-After": seconds, "Cache-Control": "no-store"},
        )
        await response(scope, _no_receive, send)

    # -- loading --------------------------------------------------------------------------

    async def _load(self, cookie: str | None) -> tuple[Session, _Loaded]:
        loaded = _Loaded(had_cookie=cookie is not None)
        if cookie is None or len(cookie) > MAX_COOKIE_BYTES:
            return self._new_session(), loaded
        verified = self._signer.unsign(cookie)
        if verified is None:
            return self._new_session(), loaded
        value, loaded.key_index = verified
        if self.sessions is None:
            return self._load_signed(value, loaded), loaded
        record = await self.sessions.load(value)
        if record is None or self._expired(record.created, record.last_seen):
            return self._new_session(), loaded
        loaded.valid = True
        loaded.last_seen = record.last_seen
        loaded.user_id = record.user_id
        session = Session(
            record.data,
            id=value,
            user_id=record.user_id,
            created=record.created,
            sessions=self.sessions,
        )
        return session, loaded

    def _load_signed(self, value: str, loaded: _Loaded) -> Session:
        raw = b64decode(value)
        record = None if raw is None else SessionRecord.loads(raw)
        if record is None or self._expired(record.created, record.last_seen):
            return Session()
        loaded.valid = True
        loaded.last_seen = record.last_seen
        loaded.user_id = record.user_id
        return Session(record.data, user_id=record.user_id, created=record.created)

    def _new_session(self) -> Session:
        return Session(sessions=self.sessions)

    def _expired(self, created: float, last_seen: float) -> bool:
        now = self.config.clock()
        idle = self.config.idle_timeout
        return now - created >= self.config.max_age or (
            idle is not None and now - last_seen >= idle
        )

    # -- writing back ---------------------------------------------------------------------

    async def _commit(self, session: Session, loaded: _Loaded) -> list[tuple[bytes, bytes]]:
        headers: list[tuple[bytes, bytes]] = []
        if session.accessed:
            headers.append((b"vary", b"Cookie"))
        data = session.data()
        user_id = session.stored_user_id()
        if not data and user_id is None:
            if self.sessions is not None and session.id is not None and session.modified:
                await self.sessions.discard(session.id, loaded.user_id)
                session.id = None
            if loaded.had_cookie and (session.modified or not loaded.valid):
                headers.append((b"set-cookie", self._deletion().encode("latin-1")))
            return headers
        now = self.config.clock()
        if not (session.modified or loaded.key_index or self._idle_refresh_due(loaded, now)):
            return headers
        created = now if session.regenerated or session.created is None else session.created
        record = SessionRecord(data, user_id, created, now)
        remaining = created + self.config.max_age - now
        value: str | None
        if self.sessions is None:
            value = self._signer.sign(b64encode(record.dumps()))
        else:
            value = await self._store(session, loaded, record, remaining)
        if value is None:
            return headers
        cookie = self._set_cookie(value, remaining)
        if len(cookie) > MAX_COOKIE_BYTES:
            raise ValueError(
                f"SessionMiddleware: the session cookie would be {len(cookie)} bytes, over the "
                f"{MAX_COOKIE_BYTES} browsers keep; store less in the session or keep it "
                "server-side (store=)."
            )
        headers.append((b"set-cookie", cookie.encode("latin-1")))
        return headers

    def _idle_refresh_due(self, loaded: _Loaded, now: float) -> bool:
        """Whether to renew an unchanged session so that activity keeps it alive."""
        idle = self.config.idle_timeout
        if idle is None or loaded.last_seen is None:
            return False
        return now - loaded.last_seen > idle / 4

    async def _store(
        self, session: Session, loaded: _Loaded, record: SessionRecord, remaining: float
    ) -> str | None:
        """Write ``record``; the signed id for a new cookie, ``None`` if the cookie stands."""
        sessions = self.sessions
        assert sessions is not None
        idle = self.config.idle_timeout
        ttl = max(remaining if idle is None else min(idle, remaining), 1.0)
        old_id = session.id
        new_id = sessions.new_id() if session.regenerated or old_id is None else old_id
        await sessions.save(new_id, record, ttl=ttl)
        if old_id is not None and new_id != old_id:
            await sessions.discard(old_id, loaded.user_id)  # regenerated: the old id dies
        elif old_id is not None and loaded.user_id not in (None, record.user_id):
            await sessions.unindex(old_id, loaded.user_id)  # another user now
        session.id = new_id
        if new_id == old_id and not loaded.key_index:
            return None
        return self._signer.sign(new_id)

    def _cookie_attributes(self) -> str:
        config = self.config
        parts = [f"Path={config.path}"]
        if config.domain is not None:
            parts.append(f"Domain={config.domain}")
        if config.secure:
            parts.append("Secure")
        if config.http_only:
            parts.append("HttpOnly")
        parts.append(f"SameSite={_SAME_SITE[config.same_site.lower()]}")
        return "; ".join(parts)

    def _set_cookie(self, value: str, max_age: float) -> str:
        return f"{self._name}={value}; Max-Age={max(int(max_age), 1)}; {self._attributes}"

    def _deletion(self) -> str:
        return f"{self._name}=; Max-Age=0; Expires={_EXPIRED}; {self._attributes}"


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
