"""FastAPI's security tutorials, ported by changing the imports, behave as FastAPI documents.

The apps are FastAPI's docs_src/security tutorials (OAuth2 password flow with JWT and scopes,
HTTP Basic): ``fastapi`` imports become ``covet``, ``FastAPI()`` becomes
``CovetPy(error_format="fastapi")`` (FastAPI's error bodies), and pwdlib's Argon2 hasher
becomes :class:`covet.security.PasswordHasher` (pwdlib is not a dependency here).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
import pytest
from jwt.exceptions import InvalidTokenError
from pydantic import BaseModel, ValidationError

from covet import CovetPy, Depends, HTTPException, Security, status
from covet.security import (
    HTTPBasic,
    HTTPBasicCredentials,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    PasswordHasher,
    SecurityScopes,
)
from covet.testing import TestClient

# --- docs_src/security/tutorial005 (OAuth2 scopes with JWT) ------------------------------

SECRET_KEY = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7"
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 30

password_hash = PasswordHasher()

fake_users_db = {
    "johndoe": {
        "username": "johndoe",
        "full_name": "John Doe",
        "email": "johndoe@example.com",
        "hashed_password": password_hash.hash_sync("secret"),
        "disabled": False,
    },
    "alice": {
        "username": "alice",
        "full_name": "Alice Chains",
        "email": "alicechains@example.com",
        "hashed_password": password_hash.hash_sync("secret2"),
        "disabled": True,
    },
}


class Token(BaseModel):
    access_token: str
    token_type: str


class TokenData(BaseModel):
    username: str | None = None
    scopes: list[str] = []


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


class UserInDB(User):
    hashed_password: str


oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="token",
    scopes={"me": "Read information about the current user.", "items": "Read items."},
)

app = CovetPy(error_format="fastapi")


def verify_password(plain_password: str, hashed_password: str) -> bool:
    return password_hash.verify_sync(plain_password, hashed_password)


def get_user(db: dict[str, dict[str, object]], username: str) -> UserInDB | None:
    if username in db:
        user_dict = db[username]
        return UserInDB(**user_dict)  # type: ignore[arg-type]
    return None


def authenticate_user(
    fake_db: dict[str, dict[str, object]], username: str, password: str
) -> UserInDB | bool:
    user = get_user(fake_db, username)
    if not user:
        return False
    if not verify_password(password, user.hashed_password):
        return False
    return user


def create_access_token(data: dict[str, object], expires_delta: timedelta | None = None) -> str:
    to_encode = data.copy()
    expire = datetime.now(UTC) + (expires_delta or timedelta(minutes=15))
    to_encode.update({"exp": expire})
    return jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)


async def get_current_user(
    security_scopes: SecurityScopes, token: Annotated[str, Depends(oauth2_scheme)]
) -> UserInDB:
    if security_scopes.scopes:
        authenticate_value = f'Bearer scope="{security_scopes.scope_str}"'
    else:
        authenticate_value = "Bearer"
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": authenticate_value},
    )
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
        username = payload.get("sub")
        if username is None:
            raise credentials_exception
        scope: str = payload.get("scope", "")
        token_scopes = scope.split(" ")
        token_data = TokenData(scopes=token_scopes, username=username)
    except (InvalidTokenError, ValidationError):
        raise credentials_exception from None
    user = get_user(fake_users_db, username=token_data.username or "")
    if user is None:
        raise credentials_exception
    for scope in security_scopes.scopes:
        if scope not in token_data.scopes:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Not enough permissions",
                headers={"WWW-Authenticate": authenticate_value},
            )
    return user


async def get_current_active_user(
    current_user: Annotated[User, Security(get_current_user, scopes=["me"])],
) -> User:
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user


@app.post("/token")
async def login_for_access_token(
    form_data: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    user = authenticate_user(fake_users_db, form_data.username, form_data.password)
    if not isinstance(user, UserInDB):
        raise HTTPException(status_code=400, detail="Incorrect username or password")
    access_token_expires = timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    access_token = create_access_token(
        data={"sub": user.username, "scope": " ".join(form_data.scopes)},
        expires_delta=access_token_expires,
    )
    return Token(access_token=access_token, token_type="bearer")


@app.get("/users/me/", response_model=User)
async def read_users_me(current_user: Annotated[User, Depends(get_current_active_user)]) -> User:
    return current_user


@app.get("/users/me/items/")
async def read_own_items(
    current_user: Annotated[User, Security(get_current_active_user, scopes=["items"])],
) -> list[dict[str, str]]:
    return [{"item_id": "Foo", "owner": current_user.username}]


@app.get("/status/")
async def read_system_status(current_user: Annotated[User, Depends(get_current_user)]) -> dict:
    return {"status": "ok"}


# --- the tests of FastAPI's tests/test_tutorial/test_security/test_tutorial005 ---------------

client = TestClient(app)


def get_access_token(username: str = "johndoe", password: str = "secret", scope: str | None = None):
    data = {"username": username, "password": password}
    if scope:
        data["scope"] = scope
    response = client.post("/token", data=data)
    return response.json()["access_token"]


def test_login() -> None:
    response = client.post("/token", data={"username": "johndoe", "password": "secret"})
    assert response.status_code == 200, response.text
    content = response.json()
    assert "access_token" in content
    assert content["token_type"] == "bearer"


def test_login_incorrect_password() -> None:
    response = client.post("/token", data={"username": "johndoe", "password": "incorrect"})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "Incorrect username or password"}


def test_login_incorrect_username() -> None:
    response = client.post("/token", data={"username": "foo", "password": "secret"})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "Incorrect username or password"}


def test_no_token() -> None:
    response = client.get("/users/me")
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_token() -> None:
    access_token = get_access_token(scope="me")
    response = client.get("/users/me", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "username": "johndoe",
        "full_name": "John Doe",
        "email": "johndoe@example.com",
        "disabled": False,
    }


def test_incorrect_token() -> None:
    response = client.get("/users/me", headers={"Authorization": "Bearer nonexistent"})
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Could not validate credentials"}
    assert response.headers["WWW-Authenticate"] == 'Bearer scope="me"'


def test_incorrect_token_type() -> None:
    response = client.get("/users/me", headers={"Authorization": "Notexistent testtoken"})
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_verify_password() -> None:
    assert verify_password("secret", fake_users_db["johndoe"]["hashed_password"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "claims",
    [{"sub": None, "scope": "me"}, {"scope": "me"}, {"sub": "johndoe"}, {"sub": "nobody"}],
    ids=["sub-null", "no-sub", "no-scope", "unknown-user"],
)
def test_token_refused(claims: dict[str, object]) -> None:
    token = create_access_token(data=claims)
    response = client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == 'Bearer scope="me"'


def test_token_inactive_user() -> None:
    access_token = get_access_token(username="alice", password="secret2", scope="me")
    response = client.get("/users/me", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "Inactive user"}


def test_read_items() -> None:
    access_token = get_access_token(scope="me items")
    response = client.get("/users/me/items/", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    assert response.json() == [{"item_id": "Foo", "owner": "johndoe"}]


def test_read_items_without_the_scope() -> None:
    access_token = get_access_token(scope="me")
    response = client.get("/users/me/items/", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Not enough permissions"}
    assert response.headers["WWW-Authenticate"] == 'Bearer scope="items me"'


def test_read_system_status() -> None:
    access_token = get_access_token()
    response = client.get("/status/", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


def test_read_system_status_no_token() -> None:
    response = client.get("/status/")
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_openapi_schema() -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {
            "type": "oauth2",
            "flows": {
                "password": {
                    "scopes": {
                        "me": "Read information about the current user.",
                        "items": "Read items.",
                    },
                    "tokenUrl": "token",
                }
            },
        }
    }
    paths = schema["paths"]
    assert paths["/users/me/"]["get"]["security"] == [{"OAuth2PasswordBearer": ["me"]}]
    assert paths["/users/me/items/"]["get"]["security"] == [
        {"OAuth2PasswordBearer": ["items", "me"]}
    ]
    assert paths["/status/"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert "security" not in paths["/token"]["post"]
    form = paths["/token"]["post"]["requestBody"]["content"]
    assert list(form) == ["application/x-www-form-urlencoded"]


# --- docs_src/security/tutorial007 (HTTP Basic, timing-safe comparison) -------------------

basic_app = CovetPy(error_format="fastapi")

security = HTTPBasic()


def get_current_username(credentials: Annotated[HTTPBasicCredentials, Depends(security)]) -> str:
    current_username_bytes = credentials.username.encode("utf8")
    correct_username_bytes = b"stanleyjobson"
    is_correct_username = secrets.compare_digest(current_username_bytes, correct_username_bytes)
    current_password_bytes = credentials.password.encode("utf8")
    correct_password_bytes = b"swordfish"
    is_correct_password = secrets.compare_digest(current_password_bytes, correct_password_bytes)
    if not (is_correct_username and is_correct_password):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect username or password",
            headers={"WWW-Authenticate": "Basic"},
        )
    return credentials.username


@basic_app.get("/users/me")
def read_current_user(username: Annotated[str, Depends(get_current_username)]) -> dict:
    return {"username": username}


basic_client = TestClient(basic_app)


def test_http_basic() -> None:
    response = basic_client.get("/users/me", auth=("stanleyjobson", "swordfish"))
    assert response.status_code == 200, response.text
    assert response.json() == {"username": "stanleyjobson"}


def test_http_basic_no_credentials() -> None:
    response = basic_client.get("/users/me")
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Basic"


@pytest.mark.parametrize(
    "authorization",
    ["Basic notabase64token", "Basic " + "c3RhbmxleWpvYnNvbnN3b3JkZmlzaA=="],  # no colon
    ids=["invalid-base64", "no-colon"],
)
def test_http_basic_malformed(authorization: str) -> None:
    response = basic_client.get("/users/me", headers={"Authorization": authorization})
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Basic"


def test_http_basic_wrong_password() -> None:
    response = basic_client.get("/users/me", auth=("stanleyjobson", "wrong"))
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Incorrect username or password"}
    assert response.headers["WWW-Authenticate"] == "Basic"


def test_http_basic_openapi() -> None:
    schema = basic_client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {
        "HTTPBasic": {"type": "http", "scheme": "basic"}
    }
    assert schema["paths"]["/users/me"]["get"]["security"] == [{"HTTPBasic": []}]
