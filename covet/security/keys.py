"""Signing keys typed per algorithm family: a key signs and verifies with one algorithm only.

An :class:`HMACKey` is a shared secret of at least the hash's length that cannot be an
asymmetric key in disguise (a PEM or SSH public key is refused), so the "HS256 signed with the
server's RSA public key" confusion cannot arise. :class:`RSAKey`, :class:`ECKey` and
:class:`EdDSAKey` take `cryptography` key objects or PEM text, check that the key belongs to
the family (and, for EC, to the algorithm's curve), and publish only their public half
(:meth:`SigningKey.public_jwk`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from covet._optional import require
from covet.exceptions import ConfigurationError

# RFC 7518 section 3.2: an HMAC key is at least as long as the hash output.
HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
RSA_MIN_BITS = 2048
EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
# What asymmetric keys look like as text; refused as HMAC secrets.
_ASYMMETRIC_MARKERS = (b"-----BEGIN", b"ssh-", b"ecdsa-sha2-", b'"kty"')
# RFC 7638: the members of a JWK that its thumbprint covers, per key type.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}
_THUMBPRINT_MEMBERS["OKP"] = ("crv", "kty", "x")
_THUMBPRINT_MEMBERS["oct"] = ("k", "kty")


class SigningKey:
    """One key of one algorithm, known by its ``kid``.

    Attributes:
        algorithm: The one JWS algorithm this key is used with (``"HS256"``, ``"RS256"``...).
        kid: The key id written in the header of the tokens it signs (default: the RFC 7638
            thumbprint of the key).
        can_sign: Whether the key holds its private (or secret) part.
    """

    family: ClassVar[str]
    algorithms: ClassVar[tuple[str, ...]]

    def __init__(self, algorithm: str, kid: str | None) -> None:
        require("jwt", extra="auth")
        if algorithm not in self.algorithms:
            raise ConfigurationError(
                f"{type(self).__name__} signs with {', '.join(self.algorithms)}, not "
                f"{algorithm!r}: use the key class of that algorithm's family."
            )
        if kid is not None and (not isinstance(kid, str) or not kid or len(kid) > 128):
            raise ConfigurationError(
                f"kid must be a non-empty string of <= 128 characters: {kid!r}"
            )
        self.algorithm = algorithm
        self._kid = kid

    # Set by the subclasses: what PyJWT signs with and verifies with.
    _signer: Any
    _verifier: Any

    @property
    def kid(self) -> str:
        """The key id (the thumbprint when none was given)."""
        if self._kid is None:
            self._kid = _thumbprint(self._jwk(self._verifier))
        return self._kid

    @property
    def can_sign(self) -> bool:
        return self._signer is not None

    def public_jwk(self) -> dict[str, Any] | None:
        """The public key as a JWK (with ``kid``, ``alg``, ``use``), ``None`` for a secret."""
        jwk = self._jwk(self._verifier)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def _jwk(self, key: Any) -> dict[str, Any]:
        algorithm = require("jwt.algorithms", extra="auth").get_default_algorithms()[self.algorithm]
        jwk: dict[str, Any] = algorithm.to_jwk(key, as_dict=True)
        return jwk

    def __repr__(self) -> str:
        private = "private" if self.can_sign else "public"
        return f"{type(self).__name__}(algorithm={self.algorithm!r}, kid={self.kid!r}, {private})"


class HMACKey(SigningKey):
    """A shared secret for HS256/HS384/HS512: signs and verifies.

    Args:
        secret: At least 32 random bytes for HS256 (48 for HS384, 64 for HS512), e.g.
            ``secrets.token_bytes(32)``; text is encoded as UTF-8. PEM or SSH keys are refused.
        algorithm: ``"HS256"`` (default), ``"HS384"`` or ``"HS512"``.
        kid: The key id (default: its thumbprint, which does not reveal the secret).
    """

    family = "HMAC"
    algorithms = ("HS256", "HS384", "HS512")

    def __init__(self, secret: bytes | str, *, algorithm: str = "HS256", kid: str | None = None):
        super().__init__(algorithm, kid)
        if isinstance(secret, str):
            secret = secret.encode()
        if not isinstance(secret, bytes):
            raise ConfigurationError(
                f"An HMAC secret is bytes or text, not {type(secret).__name__}: asymmetric keys "
                "go in RSAKey, ECKey or EdDSAKey."
            )
        if any(marker in secret[:64] for marker in _ASYMMETRIC_MARKERS):
            raise ConfigurationError(
                "This HMAC secret looks like an asymmetric key (PEM, SSH or JWK): a public "
                "key is never an HMAC secret. Use RSAKey/ECKey/EdDSAKey for it."
            )
        if len(secret) < HMAC_MIN_BYTES[algorithm]:
            raise ConfigurationError(
                f"An {algorithm} secret needs at least {HMAC_MIN_BYTES[algorithm]} bytes (got "
                f"{len(secret)}): generate one with secrets.token_bytes"
                f"({HMAC_MIN_BYTES[algorithm]})."
            )
        self._signer = self._verifier = secret

    def public_jwk(self) -> None:
        """A secret is never published: ``None``."""


class _AsymmetricKey(SigningKey, ABC):
    """A private key (signs and verifies) or a public key (verifies), as objects or PEM."""

    def __init__(self, key: Any, algorithm: str, kid: str | None) -> None:
        super().__init__(algorithm, kid)
        loaded: Any = _load(key, type(self).__name__)
        private, public = self._classes()
        if isinstance(loaded, private):
            self._signer, self._verifier = loaded, loaded.public_key()
        elif isinstance(loaded, public):
            self._signer, self._verifier = None, loaded
        else:
            raise ConfigurationError(
                f"{type(self).__name__} needs a {self.family} key, not a "
                f"{type(loaded).__name__}: use the key class of its family."
            )
        self._check(self._verifier)

    @abstractmethod
    def _classes(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """The family's private and public key classes."""

    def _check(self, public: Any) -> None:
        """Refuse a key of the right family but unfit for the algorithm."""


class RSAKey(_AsymmetricKey):
    """An RSA key (>= 2048 bits) for RS256/RS384/RS512 or PS256/PS384/PS512.

    Args:
        key: An ``RSAPrivateKey``/``RSAPublicKey`` of ``cryptography``, or its PEM text.
        algorithm: ``"RS256"`` (default) or another RSA algorithm.
        kid: The key id (default: the RFC 7638 thumbprint).
    """

    family = "RSA"
    algorithms = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")

    def __init__(self, key: Any, *, algorithm: str = "RS256", kid: str | None = None) -> None:
        super().__init__(key, algorithm, kid)

    def _classes(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        rsa = require("cryptography.hazmat.primitives.asymmetric.rsa", extra="auth")
        return (rsa.RSAPrivateKey,), (rsa.RSAPublicKey,)

    def _check(self, public: Any) -> None:
        if public.key_size < RSA_MIN_BITS:
            raise ConfigurationError(
                f"RSA keys need at least {RSA_MIN_BITS} bits (got {public.key_size})."
            )


class ECKey(_AsymmetricKey):
    """An elliptic-curve key for ES256 (P-256), ES384 (P-384) or ES512 (P-521).

    Args:
        key: An ``EllipticCurvePrivateKey``/``...PublicKey``, or its PEM text.
        algorithm: ``"ES256"`` (default), ``"ES384"`` or ``"ES512"``: the key's curve must match.
        kid: The key id (default: the RFC 7638 thumbprint).
    """

    family = "EC"
    algorithms = ("ES256", "ES384", "ES512")

    def __init__(self, key: Any, *, algorithm: str = "ES256", kid: str | None = None) -> None:
        super().__init__(key, algorithm, kid)

    def _classes(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        ec = require("cryptography.hazmat.primitives.asymmetric.ec", extra="auth")
        return (ec.EllipticCurvePrivateKey,), (ec.EllipticCurvePublicKey,)

    def _check(self, public: Any) -> None:
        if public.curve.name != EC_CURVES[self.algorithm]:
            raise ConfigurationError(
                f"{self.algorithm} needs a {EC_CURVES[self.algorithm]} key, not "
                f"{public.curve.name}."
            )


class EdDSAKey(_AsymmetricKey):
    """An Ed25519 (or Ed448) key for EdDSA.

    Args:
        key: An ``Ed25519PrivateKey``/``Ed25519PublicKey`` (or Ed448), or its PEM text.
        kid: The key id (default: the RFC 7638 thumbprint).
    """

    family = "EdDSA"
    algorithms = ("EdDSA",)

    def __init__(self, key: Any, *, kid: str | None = None) -> None:
        super().__init__(key, "EdDSA", kid)

    def _classes(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        ed25519 = require("cryptography.hazmat.primitives.asymmetric.ed25519", extra="auth")
        ed448 = require("cryptography.hazmat.primitives.asymmetric.ed448", extra="auth")
        private = (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)
        return private, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)


def _load(key: Any, owner: str) -> Any:
    """A key object as given, or loaded from PEM (private first, then public)."""
    if not isinstance(key, str | bytes):
        return key
    data = key.encode() if isinstance(key, str) else key
    serialization = require("cryptography.hazmat.primitives.serialization", extra="auth")
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        pass
    try:
        return serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"{owner} could not read the key: PEM text of an unencrypted private key or of a "
            f"public key is expected ({exc})."
        ) from None


def _thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of ``jwk`` (base64url SHA-256 of its canonical members)."""
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


__all__ = ["ECKey", "EdDSAKey", "HMACKey", "RSAKey", "SigningKey"]
