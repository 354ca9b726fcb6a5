"""Hostile tokens: each answers 401 ``invalid_token`` quickly, never a 500.

Most are signed with the manager's real secret, so only the property under test is wrong: a
correctly signed token that passes (the control below) proves the refusals are for that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization

from covet.security import ECKey, HMACKey, JWTManager, RSAKey
from covet.testing import TestClient
from tests.security.jwt_support import (
    AUDIENCE,
    EC_PRIVATE,
    ISSUER,
    RSA_PRIVATE,
    SECRET,
    b64,
    bearer,
    hs256,
    manager_on,
    protected_app,
    segment,
)

manager = manager_on()
client = TestClient(protected_app(manager))

RSA_PUBLIC = RSA_PRIVATE.public_key()
RSA_PEM = RSA_PUBLIC.public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
RSA_DER = RSA_PUBLIC.public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)
EC_PEM = EC_PRIVATE.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
rsa_manager = JWTManager(RSAKey(RSA_PRIVATE, kid="rs"), issuer=ISSUER, audience=AUDIENCE)
ec_manager = JWTManager(ECKey(EC_PRIVATE, kid="es"), issuer=ISSUER, audience=AUDIENCE)
rsa_client = TestClient(protected_app(rsa_manager))
ec_client = TestClient(protected_app(ec_manager))


def header(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"alg": "HS256", "kid": "hs", "typ": "at+jwt"}
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def claims(**changes: Any) -> dict[str, Any]:
    now = time.time()
    base: dict[str, Any] = {
        "sub": "mallory",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now),
        "exp": int(now) + 600,
        "jti": "j-1",
        "fam": "f-1",
        "typ": "access",
        "scope": "items",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def forge(head: dict[str, Any] | None = None, body: dict[str, Any] | None = None) -> str:
    return hs256(head or header(), body or claims())


def unsigned(head: dict[str, Any]) -> str:
    return f"{segment(head)}.{segment(claims())}."


def hmac_with(secret: bytes, kid: str) -> str:
    """HS256 over our claims keyed with ``secret`` (the algorithm-confusion attack)."""
    head = header(kid=kid)
    signing_input = f"{segment(head)}.{segment(claims())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def attacker_jwk_token() -> str:
    """A token signed with the attacker's own key, embedded in its header."""
    attacker = b"a" * 32
    jwk = {"kty": "oct", "k": b64(attacker)}
    return hs256(header(jwk=jwk), claims(), attacker)


def rsa_jwk_json() -> bytes:
    return json.dumps(pyjwt.algorithms.RSAAlgorithm.to_jwk(RSA_PUBLIC, as_dict=True)).encode()


def signed_raw(payload_segment: str) -> str:
    """A token whose payload segment is given as is, correctly signed with our secret."""
    signing_input = f"{segment(header())}.{payload_segment}"
    signature = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def nested(depth: int) -> str:
    return b64(("[" * depth + "]" * depth).encode())


HOSTILE: dict[str, tuple[TestClient, str]] = {
    "alg-none": (client, unsigned(header(alg="none"))),
    "alg-None": (client, unsigned(header(alg="None"))),
    "alg-NONE-signed": (client, forge(header(alg="NONE"))),
    "alg-none-no-kid": (client, unsigned({"alg": "none", "typ": "at+jwt"})),
    "hs256-with-rsa-public-pem": (rsa_client, hmac_with(RSA_PEM, "rs")),
    "hs256-with-rsa-public-der": (rsa_client, hmac_with(RSA_DER, "rs")),
    "hs256-with-rsa-public-jwk": (rsa_client, hmac_with(rsa_jwk_json(), "rs")),
    "hs256-with-ec-public-pem": (ec_client, hmac_with(EC_PEM, "es")),
    "alg-rs256-on-hmac-key": (client, forge(header(alg="RS256"))),
    "alg-hs512-on-hs256-key": (client, forge(header(alg="HS512"))),
    "tampered-payload": (
        client,
        forge().rsplit(".", 2)[0]
        + "."
        + segment(claims(sub="root"))
        + "."
        + forge().rsplit(".", 1)[1],
    ),
    "other-secret-same-kid": (client, hs256(header(), claims(), b"o" * 32)),
    "unknown-kid": (client, forge(header(kid="nope"))),
    "kid-path-traversal": (client, forge(header(kid="../../dev/null"))),
    "kid-url": (client, forge(header(kid="https://evil.example/key"))),
    "kid-missing": (client, forge(header(kid=None))),
    "kid-integer": (client, forge(header(kid=1))),
    "kid-list": (client, forge(header(kid=["hs"]))),
    "jku-header": (client, forge(header(jku="https://evil.example/jwks.json"))),
    "jwk-embedded": (client, attacker_jwk_token()),
    "x5u-header": (client, forge(header(x5u="https://evil.example/cert.pem"))),
    "x5c-header": (client, forge(header(x5c=["MIIB"]))),
    "crit-unknown": (client, forge(header(crit=["exp"], exp=1))),
    "crit-b64": (client, forge(header(crit=["b64"], b64=False))),
    "header-typ-jwt": (client, forge(header(typ="JWT"))),
    "header-typ-missing": (client, forge(header(typ=None))),
    "wrong-issuer": (client, forge(body=claims(iss="https://evil.example"))),
    "issuer-with-suffix": (client, forge(body=claims(iss=ISSUER + ".evil.example"))),
    "issuer-prefix": (client, forge(body=claims(iss=ISSUER[:-4]))),
    "issuer-list": (client, forge(body=claims(iss=[ISSUER]))),
    "issuer-missing": (client, forge(body=claims(iss=None))),
    "wrong-audience": (client, forge(body=claims(aud="other"))),
    "audience-list": (client, forge(body=claims(aud=[AUDIENCE, "other"]))),
    "audience-prefix": (client, forge(body=claims(aud=AUDIENCE[:-1]))),
    "expired": (client, forge(body=claims(exp=int(time.time()) - 120))),
    "exp-missing": (client, forge(body=claims(exp=None))),
    "exp-string": (client, forge(body=claims(exp="tomorrow"))),
    "exp-huge": (client, forge(body=claims(exp=10**400))),
    "nbf-future": (client, forge(body=claims(nbf=int(time.time()) + 3600))),
    "iat-future": (client, forge(body=claims(iat=int(time.time()) + 3600))),
    "iat-missing": (client, forge(body=claims(iat=None))),
    "iat-bool": (client, forge(body=claims(iat=True))),
    "sub-missing": (client, forge(body=claims(sub=None))),
    "sub-integer": (client, forge(body=claims(sub=7))),
    "jti-missing": (client, forge(body=claims(jti=None))),
    "typ-refresh-in-access-header": (client, forge(body=claims(typ="refresh"))),
    "id-token": (client, forge(header(typ="JWT"), claims(typ=None, nonce="n"))),
    "scope-list": (client, forge(body=claims(scope=["items"]))),
    "roles-string": (client, forge(body=claims(roles="admin"))),
    "payload-array": (client, hs256(header(), ["not", "claims"])),  # type: ignore[arg-type]
    "header-array": (client, f"{segment(['x'])}.{segment(claims())}.sig"),
    "header-not-json": (client, f"{b64(b'{nope')}.{segment(claims())}.sig"),
    "payload-not-json": (client, f"{segment(header())}.{b64(b'{nope')}.sig"),
    "header-bad-base64": (client, f"!!!.{segment(claims())}.sig"),
    "payload-bad-base64": (client, f"{segment(header())}.%%%.sig"),
    "signature-bad-base64": (client, forge().rsplit(".", 1)[0] + ".***"),
    "two-segments": (client, forge().rsplit(".", 1)[0]),
    "four-segments": (client, forge() + ".x"),
    "dots-only": (client, ".."),
    "non-ascii": (client, forge() + "é"),
    "deeply-nested-payload": (client, f"{segment(header())}.{nested(3000)}.sig"),
    "just-over-the-size-limit": (client, forge(body=claims(pad="x" * 8192))),
    "one-megabyte": (client, "a" * (1 << 20)),
    "exp-nan": (client, forge(body=claims(exp=float("nan")))),
    "exp-infinity": (client, forge(body=claims(exp=float("inf")))),
    "payload-invalid-utf8": (client, signed_raw(b64(b'{"sub": "\xff"}'))),
    "signature-one-char": (client, forge().rsplit(".", 1)[0] + ".A"),
    "es256-short-signature": (
        ec_client,
        forge(header(alg="ES256", kid="es")).rsplit(".", 1)[0] + ".AAAA",
    ),
    "rs256-garbage-signature": (
        rsa_client,
        forge(header(alg="RS256", kid="rs")).rsplit(".", 1)[0] + "." + b64(b"x" * 256),
    ),
}


def test_the_control_token_is_accepted() -> None:
    response = client.get("/me", headers=bearer(forge()))
    assert response.status_code == 200
    assert response.json()["sub"] == "mallory"
    for other, kid in ((rsa_client, "rs"), (ec_client, "es")):
        key = RSA_PRIVATE if kid == "rs" else EC_PRIVATE
        token = pyjwt.encode(
            claims(),
            key,
            "RS256" if kid == "rs" else "ES256",
            headers={"kid": kid, "typ": "at+jwt"},
        )
        assert other.get("/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(("name"), list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_token_is_401_invalid_token(name: str) -> None:
    target, token = HOSTILE[name]
    started = time.perf_counter()
    raw = {"Authorization": f"Bearer {token}".encode()}  # non-ASCII bytes as sent
    response = target.get("/me", headers=raw)
    elapsed = time.perf_counter() - started
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert response.json()["detail"] in {"Invalid token", "Token expired"}
    assert elapsed < 0.5


def test_expiry_and_not_before_allow_the_leeway() -> None:
    now = int(time.time())
    within = forge(body=claims(exp=now - 10, nbf=now + 10))
    assert client.get("/me", headers=bearer(within)).status_code == 200
    beyond = client.get("/me", headers=bearer(forge(body=claims(exp=now - 40))))
    assert beyond.status_code == 401
    assert beyond.json()["detail"] == "Token expired"
    strict = manager_on(leeway=0)
    with pytest.raises(Exception, match="expired"):
        strict.decode(forge(body=claims(exp=now - 10)))


def test_a_refresh_token_is_not_an_access_token_and_back() -> None:
    pair = manager.issue("ada")
    assert client.get("/me", headers=bearer(pair.refresh_token)).status_code == 401
    refused = client.post("/refresh", params={"refresh_token": pair.access_token})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert client.get("/me", headers=bearer(pair.access_token)).status_code == 200


def test_an_hmac_manager_cannot_be_given_a_public_key() -> None:
    from covet.exceptions import ConfigurationError

    for secret in (RSA_PEM, EC_PEM, rsa_jwk_json(), b"ssh-rsa AAAAB3Nza" + b"x" * 40):
        with pytest.raises(ConfigurationError, match="asymmetric"):
            HMACKey(secret)
    with pytest.raises(ConfigurationError, match="HMAC secret is bytes"):
        HMACKey(RSA_PUBLIC)  # type: ignore[arg-type]
    assert SECRET  # the tests' secret is long enough for HS256
