"""API keys issued by the app: stored as digests, looked up by id, compared in constant time.

A key reads ``<prefix>_<id>_<secret>``: the id (public, 16 hex digits) finds the record, the
digest of the whole key (HMAC-SHA256 under an optional server-side ``pepper``) is compared
with :func:`hmac.compare_digest` against the record's. The plain key is shown once, when it
is created, and never stored. Keys are random (256 bits), so a fast digest is enough: there
is nothing to guess that a slow password hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from covet.exceptions import ConfigurationError, HTTPException
from covet.params import Depends, SecurityScopes
from covet.security.api_key import APIKeyBase, APIKeyHeader
from covet.security.tokens import TokenStoreUnavailableError, require_granted
from covet.security.utils import with_annotations
from covet.stores import MemoryStore, Store, StoreUnavailableError

MAX_KEY_LENGTH = 256  # a longer value is refused before any work
_PREFIX = re.compile(r"[a-z][a-z0-9]{0,15}")
_ID_HEX = 16
_SECRET = re.compile(r"[A-Za-z0-9_-]{32,128}")


@dataclass(frozen=True, slots=True)
class APIKey:
    """An API key's stored record (never the key itself), and what a route receives.

    Attributes:
        id: The key's public id (the part after the prefix): revoke it by this.
        owner: Who the key belongs to (a user, a service).
        digest: HMAC-SHA256 of the full key, in hex (compared in constant time).
        scopes: OAuth2-style scopes, checked by ``Security(..., scopes=)`` and
            :func:`~covet.security.require_scopes`.
        roles: Roles, checked by :func:`~covet.security.require_roles`.
        created_at: Seconds since the epoch.
        expires_at: Seconds since the epoch, or ``None`` for a key that does not expire.
    """

    id: str
    owner: str
    digest: str = field(repr=False)
    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    created_at: float = 0.0
    expires_at: float | None = None

    def to_json(self) -> bytes:
        """The record as JSON bytes (what the store keeps)."""
        body = {
            "id": self.id,
            "owner": self.owner,
            "digest": self.digest,
            "scopes": sorted(self.scopes),
            "roles": sorted(self.roles),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> APIKey:
        """The record :meth:`to_json` wrote."""
        body = json.loads(data)
        return cls(
            id=body["id"],
            owner=body["owner"],
            digest=body["digest"],
            scopes=frozenset(body["scopes"]),
            roles=frozenset(body["roles"]),
            created_at=float(body["created_at"]),
            expires_at=None if body["expires_at"] is None else float(body["expires_at"]),
        )


class InvalidAPIKeyError(HTTPException):
    """A key that is missing its record, malformed, wrong, revoked or expired: 401.

    One answer for all of them (``WWW-Authenticate: APIKey``, "Invalid API key"), so a client
    cannot tell an unknown id from a wrong secret.
    """

    def __init__(self) -> None:
        super().__init__(401, "Invalid API key", {"WWW-Authenticate": "APIKey"})


def hash_api_key(key: str, pepper: bytes = b"") -> str:
    """The digest stored for ``key``: HMAC-SHA256 under ``pepper``, in hex."""
    return hmac.new(pepper, key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


Lookup = Callable[[str], Awaitable[APIKey | None]]


class APIKeys:
    """Create, check and revoke API keys; ``current_key`` is the dependency routes use.

    Args:
        scheme: Where the key is read (default ``APIKeyHeader(name="X-API-Key")``; an
            ``APIKeyQuery`` or ``APIKeyCookie`` works the same), documented in OpenAPI.
        store: Where records live (default: a :class:`~covet.stores.MemoryStore`); give a
            :class:`~covet.stores.RedisStore` to share them between processes.
        lookup: Instead of the store, your own ``async (key_id) -> APIKey | None`` (a
            database query); save :meth:`generate`'s record yourself then.
        prefix: The key's first part, naming its kind (``"ck"``: ``ck_<id>_<secret>``);
            lower-case letters and digits, so secret scanners can be taught it.
        pepper: A server-side secret mixed into every digest (stored records alone then
            verify nothing); keep it out of the database.
        namespace: The prefix of this object's store keys.

    Raises:
        ConfigurationError: a bad prefix or scheme, or both ``store`` and ``lookup``.
    """

    def __init__(
        self,
        scheme: APIKeyBase | None = None,
        *,
        store: Store | None = None,
        lookup: Lookup | None = None,
        prefix: str = "ck",
        pepper: bytes = b"",
        namespace: str = "apikey:",
    ) -> None:
        if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
            raise ConfigurationError(
                f"prefix must be 1-16 lower-case letters and digits, starting with a letter, "
                f"not {prefix!r}."
            )
        if store is not None and lookup is not None:
            raise ConfigurationError("Give APIKeys a store or a lookup, not both.")
        if scheme is not None and not isinstance(scheme, APIKeyBase):
            raise ConfigurationError(
                f"scheme must be an APIKeyHeader, APIKeyQuery or APIKeyCookie, not {scheme!r}."
            )
        if not isinstance(pepper, bytes):
            raise ConfigurationError("pepper must be bytes.")
        self.scheme = scheme if scheme is not None else APIKeyHeader(name="X-API-Key")
        self.prefix, self.namespace = prefix, namespace
        self._pepper = pepper
        if lookup is None and store is None:
            store = MemoryStore()
        self.store: Store | None = store
        self._lookup: Lookup = lookup if lookup is not None else self._from_store
        # Compared against when the id is unknown, so every refusal costs the same work.
        self._dummy = hash_api_key(secrets.token_urlsafe(32), pepper)
        self.current_key = self._key_dependency()

    def __repr__(self) -> str:
        where = "lookup" if self.store is None else repr(self.store)
        return f"APIKeys(prefix={self.prefix!r}, scheme={self.scheme!r}, records={where})"

    # -- creating -------------------------------------------------------------------------

    def generate(
        self,
        owner: str,
        *,
        scopes: Iterable[str] = (),
        roles: Iterable[str] = (),
        ttl: float | None = None,
    ) -> tuple[str, APIKey]:
        """A new key and its record, stored nowhere (for a ``lookup`` of your own).

        Returns:
            ``(key, record)``: give ``key`` to its owner once; keep only ``record``.
        """
        if not isinstance(owner, str) or not owner:
            raise ValueError(f"owner must be a non-empty string, not {owner!r}")
        if ttl is not None and not ttl > 0:
            raise ValueError(f"ttl must be positive seconds or None, not {ttl!r}")
        key_id = secrets.token_hex(_ID_HEX // 2)
        key = f"{self.prefix}_{key_id}_{secrets.token_urlsafe(32)}"
        now = time.time()
        record = APIKey(
            id=key_id,
            owner=owner,
            digest=hash_api_key(key, self._pepper),
            scopes=frozenset(scopes),
            roles=frozenset(roles),
            created_at=now,
            expires_at=None if ttl is None else now + ttl,
        )
        return key, record

    async def create(
        self,
        owner: str,
        *,
        scopes: Iterable[str] = (),
        roles: Iterable[str] = (),
        ttl: float | None = None,
    ) -> str:
        """A new key for ``owner``, its record saved in the store: the key (shown once).

        Raises:
            ConfigurationError: this object reads records through a ``lookup``.
            StoreUnavailableError: the store is down.
        """
        key, record = self.generate(owner, scopes=scopes, roles=roles, ttl=ttl)
        await self._own_store().set(self._record_key(record.id), record.to_json(), ttl=ttl)
        return key

    async def revoke(self, key_id: str) -> bool:
        """Delete the record of ``key_id``: whether there was one."""
        return await self._own_store().delete(self._record_key(key_id)) > 0

    # -- checking -------------------------------------------------------------------------

    def parse(self, key: str) -> str | None:
        """The id of a well-formed key of ours, else ``None`` (no lookup, no digest)."""
        if len(key) > MAX_KEY_LENGTH or not key.isascii():
            return None
        prefix, _, rest = key.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != self.prefix or len(key_id) != _ID_HEX or not _SECRET.fullmatch(secret):
            return None
        if not all(c in "0123456789abcdef" for c in key_id):
            return None
        return key_id

    async def check(self, key: str) -> APIKey:
        """The record of ``key`` when it is valid and live.

        Raises:
            InvalidAPIKeyError: malformed, unknown, wrong, revoked or expired (401).
            TokenStoreUnavailableError: the store (or ``lookup``) is down (503).
        """
        key_id = self.parse(key)
        if key_id is None:
            raise InvalidAPIKeyError()
        try:
            record = await self._lookup(key_id)
        except StoreUnavailableError:
            raise TokenStoreUnavailableError() from None
        presented = hash_api_key(key, self._pepper)
        expected = self._dummy if record is None else record.digest
        matches = hmac.compare_digest(presented.encode(), expected.encode())
        if record is None or not matches or record.id != key_id:
            raise InvalidAPIKeyError()
        if record.expires_at is not None and record.expires_at <= time.time():
            raise InvalidAPIKeyError()
        return record

    async def _from_store(self, key_id: str) -> APIKey | None:
        data = await self._own_store().get(self._record_key(key_id))
        return None if data is None else APIKey.from_json(data)

    def _own_store(self) -> Store:
        if self.store is None:
            raise ConfigurationError(
                "These APIKeys read records through lookup=: save generate()'s record and "
                "delete revoked ones in your own storage."
            )
        return self.store

    def _record_key(self, key_id: str) -> str:
        return f"{self.namespace}{key_id}"

    # -- the dependency -------------------------------------------------------------------

    def _key_dependency(self) -> Callable[..., Any]:
        keys = self

        async def current_key(security_scopes: SecurityScopes, presented: Any) -> APIKey | None:
            if presented is None:  # a scheme with auto_error=False and no key
                return None
            record = await keys.check(presented)
            require_granted(security_scopes.scopes, record.scopes)
            return record

        reader = Depends(self.scheme)  # type: ignore[arg-type]  # each scheme is callable
        return with_annotations(
            current_key,
            APIKey,
            security_scopes=SecurityScopes,
            presented=Annotated[Any, reader],
        )


__all__ = ["APIKey", "APIKeys", "InvalidAPIKeyError", "hash_api_key"]
