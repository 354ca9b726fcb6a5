"""Login protection: per-account and per-address rate limits on password logins.

Every attempt is counted, before the password is checked, against the client's address and
against the account it names (whether or not the account exists, so a limit never tells one
from the other); a successful login clears the account's count. The counting is the rate
limiter's (GCRA in a :class:`~covet.stores.Store`, atomic across processes on Redis).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable

from covet.exceptions import ConfigurationError
from covet.ratelimit import Rate, client_ip, parse_rates
from covet.ratelimit._limiter import Policies
from covet.requests import Request
from covet.stores import MemoryStore, Store, StoreUnavailableError

Limit = str | Rate | Iterable[str | Rate]


class LoginGuard:
    """Rate limits for a login route: ``attempt: Annotated[LoginAttempt, Depends(guard)]``.

    The dependency counts the attempt against the client's address (429 over ``per_ip``);
    ``await attempt.check(username)`` counts it against the account (429 over
    ``per_account``) and goes before the password is verified; ``await
    attempt.succeeded(username)`` clears the account's count after a good password.

    Args:
        per_account: Attempts allowed per account name (``"5/15minutes"``): what stops
            guessing one user's password from many addresses.
        per_ip: Attempts allowed per client address (``"20/minute"``): what stops one
            client trying many accounts. ``None`` for no address limit.
        store: Where counts live (default: a :class:`~covet.stores.MemoryStore`, per
            process; a :class:`~covet.stores.RedisStore` shares them between processes).
        name: The policy name prefix in the ``RateLimit-Policy`` header and the store keys.
        fail_open: While the store is down, let logins through (``True``) or answer 503
            (``False``, the default: an outage must not lift the limits).

    Raises:
        ConfigurationError: a bad rate or name.
    """

    def __init__(
        self,
        per_account: Limit = "5/15minutes",
        *,
        per_ip: Limit | None = "20/minute",
        store: Store | None = None,
        name: str = "login",
        fail_open: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"LoginGuard name must be a non-empty string, not {name!r}.")
        self.store: Store = store if store is not None else MemoryStore()
        self.account = _policies(per_account, f"{name}-account", fail_open)
        self.ip = None if per_ip is None else _policies(per_ip, f"{name}-ip", fail_open)
        self._account_keys = self.account.keys(f"name:{name}:account")
        self._ip_keys = None if self.ip is None else self.ip.keys(f"name:{name}:ip")

    def __repr__(self) -> str:
        return f"LoginGuard(account={self.account.policy_value!r}, store={self.store!r})"

    async def __call__(self, request: Request) -> LoginAttempt:
        """Count the attempt against the client's address (429 over the limit)."""
        if self.ip is not None and self._ip_keys is not None:
            await _count(self.ip, self.store, self._ip_keys, client_ip(request))
        return LoginAttempt(self)

    async def check_account(self, username: str) -> None:
        """Count an attempt on ``username``'s account (429 over the limit)."""
        await _count(self.account, self.store, self._account_keys, account_key(username))

    async def reset_account(self, username: str) -> None:
        """Clear ``username``'s count (after a successful login)."""
        identity = account_key(username)
        try:
            await self.store.delete(*(prefix + identity for prefix in self._account_keys))
        except StoreUnavailableError as exc:
            closed = self.account.unavailable(exc)
            if closed is not None:
                raise closed from exc


class LoginAttempt:
    """One login attempt, counted against its address: check and clear its account."""

    __slots__ = ("_guard",)

    def __init__(self, guard: LoginGuard) -> None:
        self._guard = guard

    async def check(self, username: str) -> None:
        """Count the attempt on ``username``'s account; call it before verifying the password.

        Raises:
            RateLimitExceededError: too many attempts on this account (429, ``Retry-After``).
            RateLimitUnavailableError: the store is down and the guard fails closed (503).
        """
        await self._guard.check_account(username)

    async def succeeded(self, username: str) -> None:
        """The password was right: clear the account's count."""
        await self._guard.reset_account(username)


def account_key(username: str) -> str:
    """The store identity of an account name: NFKC, case-folded, stripped, then SHA-256.

    ``"Ada"``, ``" ada "`` and a full-width "ADA" count as one account; the digest bounds
    the key and keeps user names out of the store.
    """
    normal = unicodedata.normalize("NFKC", username).casefold().strip()
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()


def _policies(limit: Limit, name: str, fail_open: bool) -> Policies:
    return Policies(parse_rates(limit, name=name), fail_open=fail_open, what=f"LoginGuard {name}")


async def _count(policies: Policies, store: Store, prefixes: tuple[str, ...], who: str) -> None:
    decisions = await policies.decide(store, prefixes, who)
    if decisions is not None and not decisions[-1].allowed:
        raise policies.refusal(decisions)


__all__ = ["LoginAttempt", "LoginGuard", "account_key"]
