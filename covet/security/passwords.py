"""Password hashing with Argon2id (argon2-cffi), off the event loop, without user enumeration."""

from __future__ import annotations

import secrets
from typing import Any

from covet._optional import require
from covet.concurrency import run_in_threadpool
from covet.exceptions import ConfigurationError

# OWASP Password Storage Cheat Sheet, Argon2id: "m=19456 (19 MiB), t=2, p=1" is the first of
# its equivalent configurations (more memory with fewer passes is as strong).
OWASP_MEMORY_COST = 19456
OWASP_TIME_COST = 2
OWASP_PARALLELISM = 1


class PasswordHasher:
    """Hash and verify passwords with Argon2id, in the thread pool.

    ``hash``, ``verify`` and ``verify_and_update`` are coroutines: each runs the (deliberately
    slow, memory-hard) hash in a worker thread, so the event loop keeps serving other requests.
    ``hash_sync`` and ``verify_sync`` are the same work for scripts and CLIs.

    For a login, call ``verify_and_update(password, stored_hash)`` with ``stored_hash=None``
    when the user does not exist: it then verifies against a dummy hash of equal cost, so an
    unknown user and a wrong password take the same time and give the same answer.

    Args:
        memory_cost: Memory per hash, in KiB (OWASP: 19456).
        time_cost: Passes over the memory (OWASP: 2).
        parallelism: Lanes (OWASP: 1).
        hash_len: Length of the hash in bytes.
        salt_len: Length of the random salt in bytes.

    Raises:
        MissingDependencyError: argon2-cffi is not installed (``pip install 'covetpy[auth]'``).
        ConfigurationError: parameters below what argon2 accepts.
    """

    def __init__(
        self,
        *,
        memory_cost: int = OWASP_MEMORY_COST,
        time_cost: int = OWASP_TIME_COST,
        parallelism: int = OWASP_PARALLELISM,
        hash_len: int = 32,
        salt_len: int = 16,
    ) -> None:
        argon2 = require("argon2", extra="auth")
        self._errors: tuple[type[Exception], ...] = (
            argon2.exceptions.VerificationError,
            argon2.exceptions.InvalidHashError,
        )
        try:
            self._argon2: Any = argon2.PasswordHasher(
                time_cost=time_cost,
                memory_cost=memory_cost,
                parallelism=parallelism,
                hash_len=hash_len,
                salt_len=salt_len,
                type=argon2.Type.ID,
            )
            # Verified in place of the hash of a user that does not exist: same parameters,
            # same cost, and no password can match it.
            self._dummy: str = self._argon2.hash(secrets.token_urlsafe(32))
        except argon2.exceptions.HashingError as exc:
            raise ConfigurationError(f"PasswordHasher parameters refused by argon2: {exc}") from exc

    def __repr__(self) -> str:
        a = self._argon2
        return (
            f"PasswordHasher(memory_cost={a.memory_cost}, time_cost={a.time_cost}, "
            f"parallelism={a.parallelism})"
        )

    def hash_sync(self, password: str) -> str:
        """The Argon2id hash of ``password`` (salted; PHC string format), in this thread."""
        result: str = self._argon2.hash(password)
        return result

    def verify_sync(self, password: str, hash: str | None) -> bool:
        """Whether ``password`` matches ``hash``, in this thread.

        ``hash=None`` (no such user) verifies against the dummy hash and returns ``False``;
        a malformed hash is ``False`` too, never an error.
        """
        try:
            result: bool = self._argon2.verify(self._dummy if hash is None else hash, password)
        except self._errors:
            return False
        return result and hash is not None

    def needs_rehash(self, hash: str) -> bool:
        """Whether ``hash`` was made with other parameters than this hasher's (cheap)."""
        try:
            result: bool = self._argon2.check_needs_rehash(hash)
        except self._errors:
            return True
        return result

    async def hash(self, password: str) -> str:
        """The Argon2id hash of ``password``, computed in the thread pool."""
        return await run_in_threadpool(self.hash_sync, password)

    async def verify(self, password: str, hash: str | None) -> bool:
        """Whether ``password`` matches ``hash`` (``None``: an unknown user), in the thread pool."""
        return await run_in_threadpool(self.verify_sync, password, hash)

    async def verify_and_update(self, password: str, hash: str | None) -> tuple[bool, str | None]:
        """Verify a login and, when it matches an outdated hash, rehash it.

        Returns:
            ``(valid, new_hash)``: ``new_hash`` is the hash to store in place of the old one
            when the parameters changed since it was made, else ``None``.
        """
        return await run_in_threadpool(self._verify_and_update, password, hash)

    def _verify_and_update(self, password: str, hash: str | None) -> tuple[bool, str | None]:
        if not self.verify_sync(password, hash):
            return False, None
        assert hash is not None  # verify_sync is False without a hash
        return True, self.hash_sync(password) if self.needs_rehash(hash) else None


__all__ = ["PasswordHasher"]
