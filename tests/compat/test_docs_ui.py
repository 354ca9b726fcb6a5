"""App metadata, custom OpenAPI and custom docs pages, as FastAPI's docs pages write them."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from openapi_spec_validator import validate

from covet import CovetPy, Router
from covet.exceptions import ConfigurationError
from covet.openapi import OpenAPIConfig
from covet.openapi.docs import get_redoc_html, get_swagger_ui_html
from covet.openapi.utils import get_openapi
from covet.testing import TestClient
from tests.support.docs_pages import swagger_config, swagger_options

DESCRIPTION = """
ChimichangApp API helps you do awesome stuff. 🚀

## Items

You can **read items**.
"""

TAGS_METADATA = [
    {"name": "users", "description": "Operations with users. The **login** logic is also here."},
    {
        "name": "items",
        "description": "Manage items. So _fancy_ they have their own docs.",
        "externalDocs": {"description": "Items external docs", "url": "https://example.com/"},
    },
]


def chimichanga_app(**extra: Any) -> CovetPy:
    """The app of FastAPI's "Metadata and Docs URLs" page."""
    app = CovetPy(
        title="ChimichangApp",
        description=DESCRIPTION,
        summary="Deadpool's favorite app. Nuff said.",
        version="0.0.1",
        terms_of_service="http://example.com/terms/",
        contact={
            "name": "Deadpoolio the Amazing",
            "url": "http://x-force.example.com/contact/",
            "email": "dp@x-force.example.com",
        },
        license_info={"name": "Apache 2.0", "identifier": "Apache-2.0"},
        openapi_tags=TAGS_METADATA,
        **extra,
    )

    @app.get("/users/", tags=["users"])
    async def get_users() -> list[dict[str, str]]:
        return [{"name": "Harry"}, {"name": "Ron"}]

    @app.get("/items/", tags=["items"])
    async def get_items() -> list[dict[str, str]]:
        return [{"name": "wand"}, {"name": "flying broom"}]

    return app


def test_app_metadata_goes_into_info_and_tags() -> None:
    document = TestClient(chimichanga_app()).get("/openapi.json").json()
    validate(document)
    assert document["info"] == {
        "title": "ChimichangApp",
        "summary": "Deadpool's favorite app. Nuff said.",
        "description": DESCRIPTION,
        "termsOfService": "http://example.com/terms/",
        "contact": {
            "name": "Deadpoolio the Amazing",
            "url": "http://x-force.example.com/contact/",
            "email": "dp@x-force.example.com",
        },
        "license": {"name": "Apache 2.0", "identifier": "Apache-2.0"},
        "version": "0.0.1",
    }
    assert document["tags"] == TAGS_METADATA
    assert list(document)[-1] == "tags"


def test_keywords_build_the_config() -> None:
    app = chimichanga_app(docs_url="/documentation", redoc_url=None)
    config = app.openapi_config
    assert isinstance(config, OpenAPIConfig)
    assert (config.title, config.docs_url, config.redoc_url) == (
        "ChimichangApp",
        "/documentation",
        None,
    )
    assert (app.title, app.version, app.openapi_url) == ("ChimichangApp", "0.0.1", "/openapi.json")
    client = TestClient(app)
    assert client.get("/documentation").status_code == 200
    assert client.get("/redoc").status_code == 404
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.title = "other"  # type: ignore[misc]


def test_a_config_object_instead_of_keywords() -> None:
    config = OpenAPIConfig(title="Shop", version="2.0", openapi_url="/api/v1/openapi.json")
    app = CovetPy(openapi_config=config)

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    client = TestClient(app)
    assert client.get("/openapi.json").status_code == 404
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"] == {"title": "Shop", "version": "2.0"}
    assert swagger_options(client.get("/docs").text)["url"] == "/api/v1/openapi.json"


def test_config_and_keywords_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"openapi_config= or the keywords \['title'\]"):
        CovetPy(openapi_config=OpenAPIConfig(), title="Shop")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"title": ""}, "title"),
        ({"docs_url": "docs"}, "docs_url"),
        ({"contact": {"name": "x", "phone": "1"}}, "contact has unknown keys"),
        ({"contact": {"email": 7}}, "contact"),
        ({"license_info": {"url": "https://x"}}, 'license_info needs a "name"'),
        ({"license_info": {"name": "MIT", "identifier": "MIT", "url": "u"}}, "not both"),
        ({"openapi_tags": [{"description": "no name"}]}, "name"),
        ({"openapi_tags": [{"name": "a"}, {"name": "a"}]}, "twice"),
        ({"openapi_tags": [{"name": "a", "externalDocs": {}}]}, "externalDocs"),
        ({"servers": [{"description": "no url"}]}, "servers"),
        ({"swagger_ui_parameters": {"syntaxHighlight": object()}}, "JSON"),
        ({"generate_unique_id_function": "name"}, "callable"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_bad_settings_fail_at_start_up(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        CovetPy(**options)
    with pytest.raises(ConfigurationError, match=message):
        OpenAPIConfig(**options)


def test_swagger_ui_parameters() -> None:
    app = CovetPy(swagger_ui_parameters={"syntaxHighlight": False, "deepLinking": False})
    options = swagger_options(TestClient(app).get("/docs").text)
    assert options["syntaxHighlight"] is False
    assert options["deepLinking"] is False
    assert options["showExtensions"] is True  # FastAPI's defaults stay under the app's


def custom_generate_unique_id(route: Any) -> str:
    return f"{route.tags[0]}-{route.name}"


def test_app_generate_unique_id_function() -> None:
    app = CovetPy(generate_unique_id_function=custom_generate_unique_id)

    @app.post("/items/", tags=["items"])
    async def create_item() -> dict[str, str]:
        return {}

    users = Router(prefix="/users", tags=["users"])

    @users.get("/")
    async def list_users() -> list[str]:
        return []

    app.include_router(users)
    paths = TestClient(app).get("/openapi.json").json()["paths"]
    assert paths["/items/"]["post"]["operationId"] == "items-create_item"
    assert paths["/users/"]["get"]["operationId"] == "users-list_users"


# -- "Extending OpenAPI": get_openapi and app.openapi = custom_openapi ----------------------


def test_custom_openapi_with_get_openapi() -> None:
    app = CovetPy()

    @app.get("/items/")
    async def read_items() -> list[dict[str, str]]:
        return [{"name": "Foo"}]

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        openapi_schema = get_openapi(
            title="Custom title",
            version="2.5.0",
            summary="This is a very custom OpenAPI schema",
            description="Here's a longer description of the custom **OpenAPI** schema",
            routes=app.routes,
        )
        openapi_schema["info"]["x-logo"] = {"url": "https://example.com/logo-teal.png"}
        app.openapi_schema = openapi_schema
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    client = TestClient(app)
    document = client.get("/openapi.json").json()
    validate(document)
    assert document["info"] == {
        "title": "Custom title",
        "summary": "This is a very custom OpenAPI schema",
        "description": "Here's a longer description of the custom **OpenAPI** schema",
        "version": "2.5.0",
        "x-logo": {"url": "https://example.com/logo-teal.png"},
    }
    assert list(document["paths"]) == ["/items/"]
    assert client.get("/openapi.json").json() == document  # cached in app.openapi_schema


def test_get_openapi_before_the_app_is_built() -> None:
    app = CovetPy()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"item_id": item_id}

    document = get_openapi(title="Early", version="1", routes=app.routes)
    validate(document)
    parameters = document["paths"]["/items/{item_id}"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["item_id", "q"]
    assert TestClient(app).get("/items/3").json() == {"item_id": 3}


def test_get_openapi_writes_only_openapi_3_1() -> None:
    with pytest.raises(ConfigurationError, match=r"OpenAPI 3\.1"):
        get_openapi(title="t", version="1", openapi_version="3.0.2", routes=[])


# -- "Custom Docs UI Static Assets": own /docs and /redoc routes ----------------------------


def custom_docs_app() -> CovetPy:
    app = CovetPy(docs_url=None, redoc_url=None, serve_docs_assets=True)

    @app.get("/docs", include_in_schema=False)
    async def custom_swagger_ui_html() -> Any:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "",
            title=app.title + " - Swagger UI",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc_html() -> Any:
        return get_redoc_html(
            openapi_url=app.openapi_url or "",
            title=app.title + " - ReDoc",
            redoc_js_url="/docs-assets/redoc.standalone.js",
        )

    @app.get("/users/{username}")
    async def read_user(username: str) -> dict[str, str]:
        return {"message": f"Hello {username}"}

    return app


def test_custom_docs_pages_load_the_packaged_assets() -> None:
    client = TestClient(custom_docs_app())
    swagger = client.get("/docs")
    assert swagger.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>CovetPy - Swagger UI</title>" in swagger.text
    assert '<script src="/docs-assets/swagger-ui-bundle.js"></script>' in swagger.text
    assert swagger_options(swagger.text)["url"] == "/openapi.json"
    redoc = client.get("/redoc").text
    assert '<script src="/docs-assets/redoc.standalone.js"></script>' in redoc
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert client.get(f"/docs-assets/{asset}").status_code == 200
    assert list(client.get("/openapi.json").json()["paths"]) == ["/users/{username}"]


def test_assets_are_not_served_without_docs_unless_asked() -> None:
    client = TestClient(CovetPy(docs_url=None, redoc_url=None))
    assert client.get("/docs-assets/swagger-ui.css").status_code == 404


def test_swagger_page_options() -> None:
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Shop",
        swagger_favicon_url="/favicon.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
        init_oauth={"clientId": "shop-docs"},
        swagger_ui_parameters={"docExpansion": "none"},
    ).body.decode()
    assert '<link rel="shortcut icon" href="/favicon.png">' in page
    config = swagger_config(page)
    assert config["oauth2RedirectPath"] == "/docs/oauth2-redirect"
    assert config["initOAuth"] == {"clientId": "shop-docs"}
    assert config["options"]["docExpansion"] == "none"
    assert "http://" not in page
    assert "https://" not in page  # nothing from a CDN


def test_redoc_page_fonts_only_when_asked() -> None:
    offline = get_redoc_html(openapi_url="/o.json", title="Shop").body.decode()
    assert "fonts.googleapis.com" not in offline
    online = get_redoc_html(openapi_url="/o.json", title="Shop", with_google_fonts=True)
    assert "fonts.googleapis.com" in online.body.decode()
