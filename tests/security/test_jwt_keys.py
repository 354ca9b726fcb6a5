"""Keys per algorithm family, round trips of every algorithm, key rotation and the JWKS."""

from __future__ import annotations

from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa

from covet import CovetPy, Depends, HTTPException
from covet.exceptions import ConfigurationError
from covet.security import ECKey, EdDSAKey, HMACKey, JWTManager, RSAKey, SigningKey
from covet.testing import TestClient
from tests.security.jwt_support import (
    AUDIENCE,
    EC_PRIVATE,
    ED_PRIVATE,
    ISSUER,
    RSA_PRIVATE,
    bearer,
    protected_app,
)


def pem(private: Any) -> bytes:
    return private.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(private: Any) -> bytes:
    return private.public_key().public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


KEYS: dict[str, Any] = {
    "HS256": lambda: HMACKey(b"a" * 32),
    "HS384": lambda: HMACKey(b"a" * 48, algorithm="HS384"),
    "HS512": lambda: HMACKey("é" * 32, algorithm="HS512"),  # text: 64 bytes of UTF-8
    "RS256": lambda: RSAKey(RSA_PRIVATE),
    "RS512-pem": lambda: RSAKey(pem(RSA_PRIVATE), algorithm="RS512"),
    "PS256": lambda: RSAKey(RSA_PRIVATE, algorithm="PS256"),
    "ES256": lambda: ECKey(EC_PRIVATE),
    "ES384": lambda: ECKey(ec.generate_private_key(ec.SECP384R1()), algorithm="ES384"),
    "ES512-pem": lambda: ECKey(
        pem(ec.generate_private_key(ec.SECP521R1())).decode(), algorithm="ES512"
    ),
    "EdDSA": lambda: EdDSAKey(ED_PRIVATE),
    "EdDSA-ed448": lambda: EdDSAKey(ed448.Ed448PrivateKey.generate()),
}


@pytest.mark.parametrize("name", list(KEYS), ids=list(KEYS))
def test_a_pair_round_trips_through_a_protected_route(name: str) -> None:
    key: SigningKey = KEYS[name]()
    manager = JWTManager(key, issuer=ISSUER, audience=AUDIENCE)
    pair = manager.issue("ada", scopes=["items"])
    header = pyjwt.get_unverified_header(pair.access_token)
    assert header == {"alg": key.algorithm, "kid": key.kid, "typ": "at+jwt"}
    with TestClient(protected_app(manager)) as client:
        assert client.get("/me", headers=bearer(pair.access_token)).json() == {
            "sub": "ada",
            "scopes": ["items"],
            "type": "access",
        }
        renewed = client.post("/refresh", params={"refresh_token": pair.refresh_token})
        assert client.get("/items", headers=bearer(renewed.json()["access_token"])).json() == {
            "items": ["ada"]
        }


def test_the_default_kid_is_the_rfc_7638_thumbprint() -> None:
    # RFC 7638 section 3.1's example key and thumbprint.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI"
        "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    numbers = rsa.RSAPublicNumbers(65537, int.from_bytes(pyjwt.utils.base64url_decode(n), "big"))
    assert RSAKey(numbers.public_key()).kid == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert HMACKey(b"a" * 32, kid="mine").kid == "mine"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: HMACKey(b"a" * 31), "at least 32 bytes"),
        (lambda: HMACKey(b"a" * 47, algorithm="HS384"), "at least 48 bytes"),
        (lambda: HMACKey(b"a" * 63, algorithm="HS512"), "at least 64 bytes"),
        (lambda: HMACKey(b"a" * 32, algorithm="RS256"), "HMACKey signs with HS256"),
        (lambda: HMACKey(b"a" * 32, algorithm="none"), "not 'none'"),
        (lambda: RSAKey(RSA_PRIVATE, algorithm="HS256"), "RSAKey signs with RS256"),
        (lambda: RSAKey(EC_PRIVATE), "needs a RSA key, not a"),
        (lambda: RSAKey(public_pem(EC_PRIVATE)), "needs a RSA key"),
        (
            lambda: RSAKey(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
            "at least 2048 bits",
        ),
        (lambda: ECKey(RSA_PRIVATE), "needs a EC key"),
        (lambda: ECKey(EC_PRIVATE, algorithm="ES384"), "ES384 needs a secp384r1 key"),
        (lambda: EdDSAKey(EC_PRIVATE), "needs a EdDSA key"),
        (lambda: ECKey("not a pem"), "could not read the key"),
        (lambda: HMACKey(b"a" * 32, kid=""), "kid must be"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_keys_are_typed_per_family(make: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make()


def test_a_public_key_verifies_but_cannot_sign() -> None:
    signer = JWTManager(RSAKey(RSA_PRIVATE, kid="r1"), issuer=ISSUER, audience=AUDIENCE)
    public = RSAKey(public_pem(RSA_PRIVATE), kid="r1")
    assert not public.can_sign
    with pytest.raises(ConfigurationError, match="private key"):
        JWTManager(public, issuer=ISSUER, audience=AUDIENCE)
    # A service holding only the public key verifies the tokens the signer issues.
    verifier = JWTManager(
        HMACKey(b"v" * 32, kid="own"),
        verification_keys=[public],
        issuer=ISSUER,
        audience=AUDIENCE,
    )
    assert verifier.decode(signer.issue("ada").access_token).subject == "ada"


def test_rotation_signs_with_the_new_key_and_still_accepts_the_old_one() -> None:
    old, new = HMACKey(b"o" * 32, kid="2025"), HMACKey(b"n" * 32, kid="2026")
    before = JWTManager(old, issuer=ISSUER, audience=AUDIENCE)
    during = JWTManager(new, verification_keys=[old], issuer=ISSUER, audience=AUDIENCE)
    after = JWTManager(new, issuer=ISSUER, audience=AUDIENCE)
    old_token = before.issue("ada").access_token
    new_token = during.issue("ada").access_token
    assert pyjwt.get_unverified_header(new_token)["kid"] == "2026"
    assert during.decode(old_token).subject == during.decode(new_token).subject == "ada"
    assert after.decode(new_token).subject == "ada"
    with pytest.raises(HTTPException):
        after.decode(old_token)  # the old key is retired: its tokens are refused
    with pytest.raises(ConfigurationError, match="Two keys have kid"):
        JWTManager(
            new, verification_keys=[HMACKey(b"x" * 32, kid="2026")], issuer="i", audience="a"
        )


def test_the_jwks_publishes_public_keys_only() -> None:
    manager = JWTManager(
        EdDSAKey(ED_PRIVATE, kid="ed"),
        verification_keys=[RSAKey(RSA_PRIVATE, kid="rs"), HMACKey(b"h" * 32, kid="hs")],
        issuer=ISSUER,
        audience=AUDIENCE,
    )
    app = CovetPy(dependencies=[Depends(refuse_everything)])
    app.include_router(manager.jwks_router())
    with TestClient(app) as client:
        response = client.get("/.well-known/jwks.json")
        document = client.get("/openapi.json").json()
    assert response.status_code == 200  # app-wide guards do not cover it
    assert response.headers["cache-control"] == "public, max-age=300"
    keys = response.json()["keys"]
    assert response.json() == manager.jwks()
    assert [(k["kid"], k["kty"], k["alg"], k["use"]) for k in keys] == [
        ("ed", "OKP", "EdDSA", "sig"),
        ("rs", "RSA", "RS256", "sig"),
    ]
    assert not any("d" in key or "k" in key or "p" in key for key in keys)  # no private parts
    assert "/.well-known/jwks.json" not in document["paths"]
    # A client verifies our tokens with the published key.
    token = manager.issue("ada").access_token
    public = pyjwt.PyJWK(keys[0]).key
    decoded = pyjwt.decode(token, public, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)
    assert decoded["sub"] == "ada"


async def refuse_everything() -> None:
    raise HTTPException(401, "no")


@pytest.mark.parametrize(
    "options",
    [
        {"issuer": ""},
        {"audience": None},
        {"access_ttl": 0},
        {"access_ttl": 100, "refresh_ttl": 10},
        {"leeway": -1},
        {"leeway": 3600},
    ],
    ids=["empty-issuer", "no-audience", "zero-ttl", "refresh-shorter", "negative-leeway", "hour"],
)
def test_bad_settings_are_refused_at_construction(options: dict[str, Any]) -> None:
    settings: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, **options}
    with pytest.raises(ConfigurationError):
        JWTManager(HMACKey(b"a" * 32), **settings)


def test_issue_refuses_reserved_claims() -> None:
    manager = JWTManager(HMACKey(b"a" * 32), issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(ValueError, match="may not set"):
        manager.issue("ada", claims={"exp": 1})
    with pytest.raises(ValueError, match="subject"):
        manager.issue("")
