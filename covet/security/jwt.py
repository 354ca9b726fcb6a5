"""JWT access and refresh tokens (PyJWT): issue, verify, rotate, revoke, publish the JWKS.

Verification trusts nothing in the token before its signature checks out: the header may only
name one of our keys by ``kid`` (``jku``/``jwk``/``x5u``/``x5c`` headers are refused, never
fetched), the algorithm must be that key's one algorithm, no ``crit`` extension is accepted,
and ``iss``/``aud`` must match exactly. A token is then checked against the store for
revocation (its ``jti``, its refresh family, its user's "not before" stamp) in one round trip.
"""

from __future__ import annotations

import contextlib
import math
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any

from covet._optional import require
from covet.exceptions import ConfigurationError
from covet.params import Depends, SecurityScopes
from covet.requests import HTTPConnection
from covet.responses import JSONResponse, Response
from covet.routing import Router
from covet.routing.routes import Route
from covet.security._jws import CompactToken, json_object
from covet.security.base import SecurityBase
from covet.security.cookies import TokenCookies
from covet.security.http import HTTPAuthorizationCredentials, HTTPBearer
from covet.security.keys import SigningKey
from covet.security.tokens import (
    ACCESS,
    HEADER_TYPES,
    REFRESH,
    Claims,
    InvalidTokenError,
    TokenPair,
    TokenStoreUnavailableError,
    check_claims,
    is_time,
    require_granted,
)
from covet.security.utils import with_annotations
from covet.stores import MemoryStore, Store, StoreUnavailableError

# Header parameters that would make us trust keys or certificates from the token itself.
REFUSED_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit", "b64"})
RESERVED_CLAIMS = frozenset({"iss", "aud", "sub", "exp", "nbf", "iat", "jti", "typ", "fam"})
RESERVED_CLAIMS |= {"scope", "roles"}
JWKS_PATH = "/.well-known/jwks.json"
_CACHE = "covet.security.claims"  # the request's verified tokens (scope key)
# Longer tokens are verified every time: the cache of verified tokens stays within a few MB.
MAX_REMEMBERED_TOKEN = 2048


class JWTManager:
    """Issue and verify JWT access/refresh pairs, with revocation in a store.

    Args:
        signing_key: The key new tokens are signed with.
        verification_keys: Other keys still accepted (the previous signing key while its
            tokens live out, during a rotation); public-only keys verify tokens signed elsewhere.
        issuer: The ``iss`` of our tokens, required exactly.
        audience: The ``aud`` of our tokens, required exactly.
        store: Where revocations live (default: a :class:`~covet.stores.MemoryStore`, per
            process; give a :class:`~covet.stores.RedisStore` to share them).
        access_ttl: Seconds an access token lives (default 15 minutes).
        refresh_ttl: Seconds a refresh token lives (default 14 days).
        leeway: Seconds of clock skew allowed on ``exp``/``nbf``/``iat`` (0 to 300).
        scheme: The security scheme reading the token (default ``HTTPBearer``): an
            ``OAuth2PasswordBearer(tokenUrl=...)`` gives ``/docs`` a login form.
        namespace: The prefix of this manager's store keys.
        verified_cache_size: How many tokens whose signature checked out are remembered by
            their exact text, so a client's next request with the same token skips the
            signature check (claims, times and revocation are still checked every time);
            0 turns it off.

    Raises:
        MissingDependencyError: PyJWT is not installed (``pip install 'covetpy[auth]'``).
        ConfigurationError: a bad key, TTL, leeway, or two keys with one ``kid``.
    """

    def __init__(
        self,
        signing_key: SigningKey,
        *,
        verification_keys: Sequence[SigningKey] = (),
        issuer: str,
        audience: str,
        store: Store | None = None,
        access_ttl: float = 15 * 60,
        refresh_ttl: float = 14 * 24 * 3600,
        leeway: float = 30,
        scheme: SecurityBase | None = None,
        namespace: str = "jwt:",
        verified_cache_size: int = 1024,
    ) -> None:
        self._jwt: Any = require("jwt", extra="auth")
        if not isinstance(signing_key, SigningKey) or not signing_key.can_sign:
            raise ConfigurationError(
                "signing_key must be an HMACKey, or an RSAKey/ECKey/EdDSAKey with its private key."
            )
        self.keys: dict[str, SigningKey] = {}
        for key in (signing_key, *verification_keys):
            if not isinstance(key, SigningKey):
                raise ConfigurationError(f"verification_keys holds {key!r}, not a SigningKey.")
            if key.kid in self.keys:
                raise ConfigurationError(f"Two keys have kid {key.kid!r}: give each its own.")
            self.keys[key.kid] = key
        for name, value in (("issuer", issuer), ("audience", audience)):
            if not isinstance(value, str) or not value:
                raise ConfigurationError(f"{name} must be a non-empty string, not {value!r}.")
        if not 0 < access_ttl <= refresh_ttl:
            raise ConfigurationError("TTLs must be positive, access_ttl <= refresh_ttl.")
        if not 0 <= leeway <= 300:
            raise ConfigurationError(f"leeway must be 0 to 300 seconds, not {leeway!r}.")
        self.signing_key = signing_key
        # PyJWT's algorithm object of each key, with the key prepared once.
        algorithms = require("jwt.algorithms", extra="auth").get_default_algorithms()
        self._verifiers: dict[str, tuple[Any, Any]] = {
            kid: (algorithms[key.algorithm], algorithms[key.algorithm].prepare_key(key._verifier))
            for kid, key in self.keys.items()
        }
        self.algorithms = frozenset(key.algorithm for key in self.keys.values())
        self.issuer, self.audience = issuer, audience
        self.store: Store = store if store is not None else MemoryStore()
        self.access_ttl, self.refresh_ttl, self.leeway = access_ttl, refresh_ttl, leeway
        self.namespace = namespace
        if isinstance(verified_cache_size, bool) or not isinstance(verified_cache_size, int):
            raise ConfigurationError("verified_cache_size must be a whole number (0: off).")
        if verified_cache_size < 0:
            raise ConfigurationError("verified_cache_size must be 0 (off) or more.")
        self.verified_cache_size = verified_cache_size
        self._verified: dict[tuple[str, str], str] | None = {} if verified_cache_size else None
        self.scheme = scheme if scheme is not None else HTTPBearer(bearerFormat="JWT")
        self.current_claims = self._claims_dependency()

    def __repr__(self) -> str:
        return (
            f"JWTManager(issuer={self.issuer!r}, audience={self.audience!r}, "
            f"keys={list(self.keys)}, algorithms={sorted(self.algorithms)})"
        )

    # -- issuing --------------------------------------------------------------------------

    def issue(
        self,
        subject: str,
        *,
        scopes: Iterable[str] = (),
        roles: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
    ) -> TokenPair:
        """A new access + refresh pair for ``subject``, starting a new refresh family.

        Args:
            subject: The user id (``sub``).
            scopes: OAuth2 scopes granted (``scope``), checked by ``Security(..., scopes=)``.
            roles: Roles (``roles``), checked by :func:`~covet.security.require_roles`.
            claims: Extra claims, copied into every token of the family (not reserved names).
        """
        if not isinstance(subject, str) or not subject:
            raise ValueError(f"subject must be a non-empty string, not {subject!r}")
        extra = dict(claims or {})
        clash = RESERVED_CLAIMS.intersection(extra)
        if clash:
            raise ValueError(f"claims may not set {sorted(clash)}: the manager sets them")
        scope = " ".join(dict.fromkeys(scopes))
        body: dict[str, Any] = {**extra, "sub": subject, "fam": secrets.token_urlsafe(16)}
        if scope:
            body["scope"] = scope
        role_list = list(dict.fromkeys(roles))
        if role_list:
            body["roles"] = role_list
        return self._pair(body)

    def _pair(self, body: dict[str, Any]) -> TokenPair:
        now = math.floor(time.time() * 1000) / 1000  # iat never after the true issue time
        access = self._sign(body, ACCESS, now, self.access_ttl)
        refresh = self._sign(body, REFRESH, now, self.refresh_ttl)
        return TokenPair(access, refresh, "bearer", int(self.access_ttl))

    def _sign(self, body: dict[str, Any], kind: str, now: float, ttl: float) -> str:
        payload = {
            **body,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": int(now + ttl),
            "jti": secrets.token_urlsafe(16),
            "typ": kind,
        }
        key = self.signing_key
        headers = {"kid": key.kid, "typ": HEADER_TYPES[kind]}
        token: str = self._jwt.encode(payload, key._signer, key.algorithm, headers=headers)
        return token

    # -- verifying ------------------------------------------------------------------------

    def decode(self, token: str, *, type: str = ACCESS) -> Claims:
        """Check ``token``'s signature, header and claims (no store): its :class:`Claims`.

        Raises:
            InvalidTokenError: anything wrong (a 401 when raised in a request).
        """
        # PERF: a token whose signature and header checked out is remembered by its exact
        # text (and type), so a client's next request with it skips the regex, the header
        # and the HMAC/signature; its payload is decoded anew and every claim, the times
        # included, checked again, and revocation is the caller's, on every request.
        verified = self._verified
        segment = verified.get((token, type)) if verified is not None else None
        if segment is None:
            parts = CompactToken(token)
            key = self._key_for(parts.header, type)
            algorithm, prepared = self._verifiers[key.kid]
            try:
                valid = algorithm.verify(parts.signing_input, prepared, parts.signature)
            except (ValueError, TypeError):  # a signature of the wrong length or shape
                valid = False
            if not valid:
                raise InvalidTokenError()
            segment = parts.payload_segment
            payload = json_object(segment)
            self._check_registered(payload)
            claims = check_claims(payload, type)
            if verified is not None and len(token) <= MAX_REMEMBERED_TOKEN:
                self._remember(verified, (token, type), segment)
            return claims
        payload = json_object(segment)
        self._check_registered(payload)
        return check_claims(payload, type)

    def _remember(
        self, verified: dict[tuple[str, str], str], key: tuple[str, str], segment: str
    ) -> None:
        verified[key] = segment
        if len(verified) > self.verified_cache_size:
            with contextlib.suppress(StopIteration, RuntimeError, KeyError):
                del verified[next(iter(verified))]  # the oldest: insertion order

    def _check_registered(self, payload: dict[str, Any]) -> None:
        """``iss``/``aud`` exactly ours; ``exp``/``iat`` present; times within the leeway."""
        if payload.get("iss") != self.issuer or payload.get("aud") != self.audience:
            raise InvalidTokenError()
        exp, iat, nbf = payload.get("exp"), payload.get("iat"), payload.get("nbf", 0)
        if not (is_time(exp) and is_time(iat) and is_time(nbf)):
            raise InvalidTokenError()
        now = time.time()
        if exp <= now - self.leeway:
            raise InvalidTokenError("Token expired")
        if nbf > now + self.leeway or iat > now + self.leeway:
            raise InvalidTokenError()

    def _key_for(self, header: Any, type: str) -> SigningKey:
        if not isinstance(header, dict) or REFUSED_HEADERS.intersection(header):
            raise InvalidTokenError()
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None or header.get("alg") != key.algorithm:
            raise InvalidTokenError()
        if header.get("typ") != HEADER_TYPES[type]:
            raise InvalidTokenError()
        return key

    async def verify(self, token: str, *, type: str = ACCESS) -> Claims:
        """Decode ``token`` and check it was not revoked: its :class:`Claims`.

        Args:
            token: The compact JWT.
            type: ``"access"`` (default) or ``"refresh"``: a token of the other type is refused.

        Raises:
            InvalidTokenError: a bad, expired or revoked token (401).
            TokenStoreUnavailableError: the store is down (503).
        """
        claims = self.decode(token, type=type)
        keys = (self._key("jti", claims.jti), self._key("fam", claims.family))
        try:
            jti, family, stamp = await self.store.get_many(*keys, self._key("sub", claims.subject))
        except StoreUnavailableError:
            raise TokenStoreUnavailableError() from None
        if jti is not None or family is not None:
            raise InvalidTokenError("Token revoked")
        if stamp is not None and claims.issued_at <= float(stamp):
            raise InvalidTokenError("Token revoked")
        return claims

    # -- lifecycle ------------------------------------------------------------------------

    async def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for a refresh token, which is used up (rotation).

        A refresh token presented a second time was stolen or replayed: its whole family
        (every token of that login, both copies' descendants) is revoked.

        Raises:
            InvalidTokenError: not a valid refresh token, or a replayed one (401).
            TokenStoreUnavailableError: the store is down (503).
        """
        claims = await self.verify(refresh_token, type=REFRESH)
        try:
            uses = await self.store.incr(self._key("used", claims.jti), ttl=self._remaining(claims))
            if uses > 1:
                await self._revoke_family(claims.family)
        except StoreUnavailableError:
            raise TokenStoreUnavailableError() from None
        if uses > 1:
            raise InvalidTokenError("Token revoked")
        body = {k: v for k, v in claims.items() if k not in RESERVED_CLAIMS}
        body.update({k: claims[k] for k in ("sub", "fam", "scope", "roles") if k in claims})
        return self._pair(body)

    async def revoke(self, claims: Claims) -> None:
        """Revoke this one token (by ``jti``) until it expires."""
        await self._guarded(
            self.store.set(self._key("jti", claims.jti), b"1", ttl=self._remaining(claims))
        )

    async def logout(self, token: Claims | str) -> None:
        """End the login ``token`` belongs to: its refresh family and the token itself.

        Args:
            token: Verified claims (from ``current_claims``) or a token of either type.
        """
        if isinstance(token, str):
            claims = await self._verify_any(token)
        else:
            claims = token
        await self._revoke_family(claims.family)
        await self.revoke(claims)

    async def revoke_all(self, subject: str) -> None:
        """Revoke every token issued to ``subject`` until now (log out everywhere)."""
        stamp = repr(time.time()).encode()
        ttl = self.refresh_ttl + self.leeway
        await self._guarded(self.store.set(self._key("sub", subject), stamp, ttl=ttl))

    async def _verify_any(self, token: str) -> Claims:
        try:
            return await self.verify(token, type=ACCESS)
        except InvalidTokenError:
            return await self.verify(token, type=REFRESH)

    async def _revoke_family(self, family: str) -> None:
        ttl = self.refresh_ttl + self.leeway
        await self._guarded(self.store.set(self._key("fam", family), b"1", ttl=ttl))

    async def _guarded(self, operation: Any) -> None:
        try:
            await operation
        except StoreUnavailableError:
            raise TokenStoreUnavailableError() from None

    def _remaining(self, claims: Claims) -> float:
        return max(1.0, claims.expires_at - time.time() + self.leeway)

    def _key(self, kind: str, value: str) -> str:
        return f"{self.namespace}{kind}:{value}"

    # -- cookie transport -----------------------------------------------------------------

    def set_cookies(self, response: Response, pair: TokenPair) -> None:
        """Write ``pair`` as this manager's :class:`~covet.security.TokenCookies` on ``response``.

        Raises:
            ConfigurationError: the manager's scheme is not a ``TokenCookies``.
        """
        self._cookies().set(response, pair, refresh_max_age=int(self.refresh_ttl))

    def clear_cookies(self, response: Response) -> None:
        """Drop both token cookies (with :meth:`logout`, which revokes the tokens)."""
        self._cookies().clear(response)

    def _cookies(self) -> TokenCookies:
        if not isinstance(self.scheme, TokenCookies):
            raise ConfigurationError(
                "set_cookies/clear_cookies need JWTManager(..., scheme=TokenCookies(...))."
            )
        return self.scheme

    # -- dependencies ---------------------------------------------------------------------

    def _claims_dependency(self) -> Callable[..., Any]:
        manager = self

        async def current_claims(
            request: HTTPConnection, security_scopes: SecurityScopes, credentials: Any
        ) -> Claims | None:
            if credentials is None:  # a scheme with auto_error=False and no token
                return None
            token = (
                credentials.credentials
                if isinstance(credentials, HTTPAuthorizationCredentials)
                else credentials
            )
            verified: dict[str, Claims] = request.scope.setdefault(_CACHE, {})
            claims = verified.get(token)
            if claims is None:
                claims = verified[token] = await manager.verify(token)
            require_granted(security_scopes.scopes, claims.scopes)
            return claims

        # The scheme is this manager's object, so the signature is built, not annotated.
        reader = Depends(self.scheme)  # type: ignore[arg-type]  # each scheme is callable
        return with_annotations(
            current_claims,
            Claims,
            request=HTTPConnection,
            security_scopes=SecurityScopes,
            credentials=Annotated[Any, reader],
        )

    def require_scopes(self, *scopes: str) -> Depends:
        """A guard requiring OAuth2 ``scopes`` (403 ``insufficient_scope`` without them)."""
        from covet.security.guards import require_scopes

        return require_scopes(self, *scopes)

    def require_roles(self, *roles: str) -> Depends:
        """A guard requiring every one of ``roles`` (403 without them)."""
        from covet.security.guards import require_roles

        return require_roles(self, *roles)

    # -- JWKS -----------------------------------------------------------------------------

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON Web Key Set of our public keys (HMAC secrets are never in it)."""
        found = (key.public_jwk() for key in self.keys.values())
        return {"keys": [jwk for jwk in found if jwk is not None]}

    def jwks_router(self, path: str = JWKS_PATH) -> Router:
        """A router serving :meth:`jwks` at ``path`` (``/.well-known/jwks.json``).

        The route is not guarded by app-wide dependencies and stays out of the OpenAPI
        document; clients may cache the set for five minutes.
        """
        document = self.jwks()

        async def jwks() -> JSONResponse:
            return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})

        router = Router()
        router.add_route(
            Route(path, jwks, methods=["GET"], name="jwks", include_in_schema=False, system=True)
        )
        return router


__all__ = ["JWTManager"]
