"""Swagger UI at /docs and ReDoc at /redoc, served offline from packaged assets."""

from __future__ import annotations

from typing import Any

import pytest

from covet import CovetPy, HTTPException
from covet.openapi.docs import get_redoc_html, get_swagger_ui_html
from covet.openapi.ui import asset_path, asset_response
from covet.testing import TestClient
from tests.support.docs_pages import swagger_options


def make_app(**kwargs: Any) -> CovetPy:
    app = CovetPy(title="Shop", **kwargs)

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    return app


@pytest.mark.parametrize(
    ("url", "asset"),
    [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")],
    ids=["swagger", "redoc"],
)
def test_pages_load_local_assets_and_the_document_only(url: str, asset: str) -> None:
    response = TestClient(make_app()).get(url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert f'src="/docs-assets/{asset}"' in response.text
    assert "/openapi.json" in response.text
    assert "<title>Shop - " in response.text
    assert "http://" not in response.text
    assert "https://" not in response.text


def test_swagger_page_loads_its_stylesheet_and_turns_off_the_online_validator() -> None:
    page = TestClient(make_app()).get("/docs").text

    assert '<link rel="stylesheet" href="/docs-assets/swagger-ui.css">' in page
    assert swagger_options(page)["url"] == "/openapi.json"
    assert swagger_options(page)["validatorUrl"] is None


def test_redoc_page_links_no_web_fonts() -> None:
    page = TestClient(make_app()).get("/redoc").text

    assert '<redoc spec-url="/openapi.json"></redoc>' in page
    assert "<link" not in page
    assert "fonts" not in page


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("swagger-ui-bundle.js", "application/javascript"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("redoc.standalone.js", "application/javascript"),
    ],
    ids=["swagger-js", "swagger-css", "redoc-js"],
)
def test_assets_are_served_with_type_etag_caching_and_304(name: str, content_type: str) -> None:
    client = TestClient(make_app())

    response = client.get(f"/docs-assets/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.content == asset_path(name).read_bytes()
    assert len(response.content) > 100_000
    etag = response.headers["etag"]
    again = client.get(f"/docs-assets/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/docs-assets/unknown.js",
        "/docs-assets/swagger-ui.LICENSE",
        "/docs-assets/README.md",
        "/docs-assets/%2e%2e%2fapp.py",
        "/docs-assets/..%2F..%2Fapp.py",
        "/docs-assets/",
    ],
    ids=["unknown", "license", "readme", "encoded-traversal", "mixed-traversal", "empty"],
)
def test_names_outside_the_allowlist_are_404(path: str) -> None:
    response = TestClient(make_app()).get(path)

    assert response.status_code == 404
    assert b"import" not in response.content


@pytest.mark.parametrize(
    "name",
    ["../app.py", "../__init__.py", "../../covet/app.py", "README.md", "redoc.LICENSE", ""],
    ids=["parent", "parent-init", "grandparent", "readme", "license", "empty"],
)
def test_asset_lookup_refuses_any_name_not_allowlisted(name: str) -> None:
    with pytest.raises(HTTPException) as caught:
        asset_response(name)

    assert caught.value.status_code == 404


def test_pages_can_be_turned_off() -> None:
    client = TestClient(make_app(docs_url=None, redoc_url=None))

    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs-assets/swagger-ui.css").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_turning_off_one_page_keeps_the_other() -> None:
    client = TestClient(make_app(redoc_url=None))

    assert client.get("/redoc").status_code == 404
    assert client.get("/docs").status_code == 200
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200


def test_no_openapi_document_means_no_pages() -> None:
    client = TestClient(make_app(openapi_url=None))

    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs-assets/swagger-ui.css").status_code == 404


def test_custom_urls_are_used_by_the_routes_and_the_pages() -> None:
    app = make_app(
        openapi_url="/api/schema.json",
        docs_url="/api/ui",
        redoc_url="/api/reference",
        docs_assets_url="/static/docs/",
    )
    client = TestClient(app)

    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    swagger = client.get("/api/ui").text
    assert swagger_options(swagger)["url"] == "/api/schema.json"
    assert 'src="/static/docs/swagger-ui-bundle.js"' in swagger
    redoc = client.get("/api/reference").text
    assert 'spec-url="/api/schema.json"' in redoc
    assert 'src="/static/docs/redoc.standalone.js"' in redoc
    assert client.get("/static/docs/redoc.standalone.js").status_code == 200
    assert client.get("/docs-assets/redoc.standalone.js").status_code == 404


def test_an_app_route_at_a_docs_url_wins() -> None:
    app = make_app()

    @app.get("/docs")
    async def own_docs() -> str:
        return "mine"

    client = TestClient(app)
    assert client.get("/docs").json() == "mine"
    assert client.get("/redoc").status_code == 200


def test_internal_routes_are_hidden_from_routes_and_the_document() -> None:
    app = make_app()
    client = TestClient(app)
    assert client.get("/docs").status_code == 200

    assert [route.path for route in app.routes] == ["/ping"]
    assert list(client.get("/openapi.json").json()["paths"]) == ["/ping"]


def test_title_and_urls_are_escaped() -> None:
    swagger = get_swagger_ui_html(
        openapi_url="/o.json?a=1&b=</script>",
        title="<b>Shop</b> & co",
        swagger_css_url='/a"b/swagger-ui.css',
    ).body.decode()
    redoc = get_redoc_html(
        openapi_url='/o.json"><script>', title="<b>Shop</b>", redoc_js_url="/assets/r.js"
    ).body.decode()

    assert "<title>&lt;b&gt;Shop&lt;/b&gt; &amp; co</title>" in swagger
    assert '</script>"' not in swagger
    assert '"/o.json?a=1\\u0026b=\\u003c/script\\u003e"' in swagger
    assert swagger_options(swagger)["url"] == "/o.json?a=1&b=</script>"
    assert 'href="/a&quot;b/swagger-ui.css"' in swagger
    assert 'spec-url="/o.json&quot;&gt;&lt;script&gt;"' in redoc
    assert "<title>&lt;b&gt;Shop&lt;/b&gt;</title>" in redoc


def test_pages_use_the_root_path_when_mounted_under_a_prefix() -> None:
    client = TestClient(make_app(root_path="/api"))

    page = client.get("/docs").text

    assert swagger_options(page)["url"] == "/api/openapi.json"
    assert 'src="/api/docs-assets/swagger-ui-bundle.js"' in page
