"""covet.settings: fields from the environment and .env, validated, secrets masked, frozen."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import pytest

from covet import CovetPy, Depends
from covet.exceptions import ConfigurationError
from covet.settings import Secret, Settings, SettingsError, parse_env_file
from covet.testing import LifespanError, TestClient


class ShopSettings(Settings, env_prefix="SHOP_", env_file=".env"):
    port: int = 8000
    debug: bool = False
    database_url: str = "sqlite:///shop.db"
    api_key: Secret[str]
    allowed_hosts: list[str] = ["localhost"]  # noqa: RUF012
    weights: dict[str, int] = {}  # noqa: RUF012


class Plain(Settings):
    name: str = "app"


class Strict(Settings, env_prefix="APP_", case_sensitive=True):
    level: str = "info"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.upper().startswith(("SHOP_", "APP_", "NAME")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # the relative ".env" resolves to an empty directory


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    settings = ShopSettings()
    assert settings.port == 8000
    assert settings.debug is False
    assert settings.database_url == "sqlite:///shop.db"
    assert settings.allowed_hosts == ["localhost"]


def test_mutable_defaults_are_not_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    first, second = ShopSettings(), ShopSettings()
    first.allowed_hosts.append("evil")
    assert second.allowed_hosts == ["localhost"]
    assert ShopSettings.allowed_hosts == ["localhost"]


def test_environment_overrides_default_and_is_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    monkeypatch.setenv("SHOP_PORT", "9000")
    assert ShopSettings().port == 9000


def test_prefix_is_required_in_the_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    monkeypatch.setenv("PORT", "1234")
    assert ShopSettings().port == 8000


def test_no_prefix_uses_the_upper_case_field_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAME", "shop")
    assert Plain().name == "shop"


def test_lookup_is_case_insensitive_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("shop_api_key", "k")
    monkeypatch.setenv("Shop_Port", "81")
    settings = ShopSettings()
    assert settings.port == 81
    assert settings.api_key.get_secret_value() == "k"


def test_case_sensitive_lookup_ignores_other_cases() -> None:
    assert Strict(_environ={"app_level": "debug"}).level == "info"
    assert Strict(_environ={"APP_LEVEL": "debug"}).level == "debug"


def test_env_file_is_read(tmp_path: Path) -> None:
    write_env(tmp_path, "SHOP_API_KEY=from-file\nSHOP_PORT=7000\n")
    settings = ShopSettings()
    assert settings.port == 7000
    assert settings.api_key.get_secret_value() == "from-file"


def test_environment_wins_over_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_env(tmp_path, "SHOP_API_KEY=k\nSHOP_PORT=7000\n")
    monkeypatch.setenv("SHOP_PORT", "7001")
    assert ShopSettings().port == 7001


def test_missing_env_file_is_fine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    assert ShopSettings(_env_file=tmp_path / "nope.env").port == 8000


def test_env_file_can_be_disabled_per_instance(tmp_path: Path) -> None:
    write_env(tmp_path, "SHOP_PORT=7000\n")
    assert ShopSettings(_env_file=None, api_key="k").port == 8000


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("KEY=plain", "plain"),
        ("export KEY=exported", "exported"),
        ("KEY = spaced ", "spaced"),
        ("KEY='single # not a comment'", "single # not a comment"),
        ('KEY="double \\"quoted\\"\\nline"', 'double "quoted"\nline'),
        ("KEY='no \\n escapes'", "no \\n escapes"),
        ("KEY=value # trailing comment", "value"),
        ('KEY="quoted" # comment', "quoted"),
        ("KEY=", ""),
        ("KEY=a=b", "a=b"),
        ("KEY=$(rm -rf /)", "$(rm -rf /)"),
        ("KEY=`touch pwned` ${HOME}", "`touch pwned` ${HOME}"),
    ],
    ids=[
        "plain",
        "export",
        "spaces",
        "single-quotes",
        "double-quotes-escapes",
        "single-quotes-literal",
        "comment",
        "quoted-comment",
        "empty",
        "equals-in-value",
        "command-substitution",
        "backticks-and-vars",
    ],
)
def test_env_file_line_parsing(line: str, expected: str) -> None:
    assert parse_env_file(line) == {"KEY": expected}


def test_env_file_skips_comments_and_blank_lines() -> None:
    text = "# a comment\n\n   \n  # indented comment\nA=1\nexport B='2'\n"
    assert parse_env_file(text) == {"A": "1", "B": "2"}


def test_env_file_command_is_a_plain_string(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    write_env(tmp_path, f"SHOP_API_KEY=k\nSHOP_DATABASE_URL=$(touch {marker})\n")
    settings = ShopSettings()
    assert settings.database_url == f"$(touch {marker})"
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    ["JUST_A_WORD", "KEY='unterminated", "=value", 'KEY="a" trailing'],
    ids=["no-equals", "unterminated-quote", "no-key", "text-after-quote"],
)
def test_malformed_env_file_line_fails_with_its_number(text: str) -> None:
    with pytest.raises(ConfigurationError, match=r"\.env:2:"):
        parse_env_file("OK=1\n" + text)


def test_explicit_keyword_arguments_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_env(tmp_path, "SHOP_PORT=7000\n")
    monkeypatch.setenv("SHOP_PORT", "7001")
    settings = ShopSettings(port=1, api_key="k")
    assert settings.port == 1
    assert settings.api_key == Secret("k")


def test_keyword_argument_strings_are_converted() -> None:
    assert ShopSettings(port="81", api_key="k").port == 81


def test_bad_port_fails_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    monkeypatch.setenv("SHOP_PORT", "abc")
    with pytest.raises(ConfigurationError) as info:
        ShopSettings()
    assert "SHOP_PORT: Input should be a valid integer" in str(info.value)
    assert isinstance(info.value, SettingsError)
    assert [name for name, _ in info.value.problems] == ["SHOP_PORT"]


def test_bad_keyword_argument_is_named_as_such() -> None:
    with pytest.raises(SettingsError, match=r"port \(keyword argument\): Input should be"):
        ShopSettings(port="abc", api_key="k")


def test_all_problems_are_reported_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_PORT", "abc")
    monkeypatch.setenv("SHOP_DEBUG", "maybe")
    monkeypatch.setenv("SHOP_WEIGHTS", "{not json")
    with pytest.raises(SettingsError) as info:
        ShopSettings(colour="red")
    names = [name for name, _ in info.value.problems]
    assert names == [
        "SHOP_PORT",
        "SHOP_DEBUG",
        "SHOP_API_KEY",
        "SHOP_WEIGHTS",
        "colour (keyword argument)",
    ]
    message = str(info.value)
    assert "ShopSettings: 5 invalid or missing setting(s)" in message
    assert "SHOP_DEBUG: Input should be a valid boolean" in message
    assert "SHOP_WEIGHTS: Input should be valid JSON" in message


def test_missing_required_field() -> None:
    with pytest.raises(SettingsError, match=r"SHOP_API_KEY: Field required") as info:
        ShopSettings()
    assert "add it to .env" in str(info.value)
    assert info.value.problems == [
        ("SHOP_API_KEY", "Field required; set this environment variable or add it to .env")
    ]


def test_secret_is_masked_in_repr_and_str() -> None:
    secret = Secret("hunter2")
    assert str(secret) == "**********"
    assert repr(secret) == "Secret('**********')"
    assert f"{secret}" == "**********"
    assert "hunter2" not in repr(secret) + str(secret)
    assert secret.get_secret_value() == "hunter2"


def test_secret_equality_is_by_value() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert hash(Secret("a")) == hash(Secret("a"))


def test_settings_repr_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "hunter2")
    text = repr(ShopSettings())
    assert "hunter2" not in text
    assert text.startswith("ShopSettings(port=8000, debug=False,")
    assert "api_key=Secret('**********')" in text


def test_secret_inner_type_is_validated() -> None:
    class Keys(Settings):
        pin: Secret[int]

    assert Keys(_environ={"PIN": "1234"}).pin.get_secret_value() == 1234
    with pytest.raises(SettingsError, match="PIN: Input should be a valid integer"):
        Keys(_environ={"PIN": "12a4"})


def test_as_dict_hides_or_reveals_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "hunter2")
    settings = ShopSettings()
    assert settings.as_dict()["api_key"] == Secret("hunter2")
    assert "hunter2" not in repr(settings.as_dict())
    revealed = settings.as_dict(reveal_secrets=True)
    assert revealed == {
        "port": 8000,
        "debug": False,
        "database_url": "sqlite:///shop.db",
        "api_key": "hunter2",
        "allowed_hosts": ["localhost"],
        "weights": {},
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('["a.com", "b.com"]', ["a.com", "b.com"]),
        ("a.com,b.com", ["a.com", "b.com"]),
        (" a.com , b.com ", ["a.com", "b.com"]),
        ("single", ["single"]),
        ("", []),
        ("[]", []),
    ],
    ids=["json", "comma", "comma-spaces", "single", "empty", "json-empty"],
)
def test_lists_from_json_or_commas(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]
) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    monkeypatch.setenv("SHOP_ALLOWED_HOSTS", raw)
    assert ShopSettings().allowed_hosts == expected


def test_list_items_are_validated_and_located() -> None:
    class Ports(Settings):
        ports: list[int]

    assert Ports(_environ={"PORTS": "1, 2"}).ports == [1, 2]
    assert Ports(_environ={"PORTS": "[3, 4]"}).ports == [3, 4]
    with pytest.raises(SettingsError, match=r"PORTS\[1\]: Input should be a valid integer"):
        Ports(_environ={"PORTS": "1,x"})


def test_dict_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    monkeypatch.setenv("SHOP_WEIGHTS", '{"a": 1, "b": 2}')
    assert ShopSettings().weights == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("1", True),
        ("yes", True),
        ("TRUE", True),
        ("false", False),
        ("0", False),
        ("no", False),
    ],
    ids=["true", "one", "yes", "upper", "false", "zero", "no"],
)
def test_bools_from_text(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    monkeypatch.setenv("SHOP_DEBUG", raw)
    assert ShopSettings().debug is expected


def test_instances_are_immutable() -> None:
    settings = ShopSettings(api_key="k")
    with pytest.raises(AttributeError, match="immutable"):
        settings.port = 1
    with pytest.raises(AttributeError, match="immutable"):
        del settings.port
    assert settings.port == 8000


def test_replace_validates_and_leaves_the_original_alone() -> None:
    settings = ShopSettings(api_key="k")
    changed = settings.replace(port="9", debug=True)
    assert (changed.port, changed.debug, changed.api_key) == (9, True, Secret("k"))
    assert (settings.port, settings.debug) == (8000, False)
    with pytest.raises(SettingsError, match=r"port \(keyword argument\)"):
        settings.replace(port="x")
    with pytest.raises(SettingsError, match=r"nope \(keyword argument\): Unknown setting"):
        settings.replace(nope=1)


def test_subclass_inherits_fields_and_options() -> None:
    class MoreSettings(ShopSettings):
        workers: int = 2

    settings = MoreSettings(_environ={"SHOP_WORKERS": "4", "SHOP_API_KEY": "k"})
    assert (settings.workers, settings.port) == (4, 8000)


def test_unsupported_annotation_fails_when_first_built() -> None:
    class Odd(Settings):
        thing: object

    with pytest.raises(ConfigurationError, match=r"Odd\.thing"):
        Odd()


def test_reserved_field_name_is_refused() -> None:
    class Clash(Settings):
        replace: str = "x"  # type: ignore[assignment]

    with pytest.raises(ConfigurationError, match="reserved"):
        Clash()


# -- Settings as an app-scoped dependency -------------------------------------------------------


def settings_app() -> CovetPy:
    app = CovetPy()

    @app.get("/config")
    async def config(
        settings: Annotated[ShopSettings, Depends(ShopSettings, scope="app")],
    ) -> dict[str, Any]:
        return {"port": settings.port, "id": id(settings)}

    return app


def test_settings_class_is_an_app_scoped_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    monkeypatch.setenv("SHOP_PORT", "9000")
    app = settings_app()
    with TestClient(app) as client:
        first, second = client.get("/config").json(), client.get("/config").json()
    assert first["port"] == 9000
    assert first["id"] == second["id"]  # created once for the application
    # Its keyword-only options are not mistaken for request parameters.
    assert "parameters" not in app.openapi()["paths"]["/config"]["get"]


def test_bad_settings_stop_the_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "k")
    monkeypatch.setenv("SHOP_PORT", "abc")
    with pytest.raises(LifespanError, match="SHOP_PORT"), TestClient(settings_app()):
        pass


def test_settings_are_overridable_in_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_PORT", "abc")  # never read: the override replaces the class
    app = settings_app()
    app.dependency_overrides[ShopSettings] = lambda: ShopSettings(api_key="k", port=1234)
    with TestClient(app) as client:
        assert client.get("/config").json()["port"] == 1234
