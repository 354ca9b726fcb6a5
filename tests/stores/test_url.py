"""store_from_url: the scheme picks the backend; a bad URL fails at start-up, password masked."""

from __future__ import annotations

import pytest

from covet.exceptions import ConfigurationError
from covet.stores import MemoryStore, store_from_url
from covet.stores.url import mask_password


def test_memory_url_gives_a_memory_store_with_its_query_options() -> None:
    store = store_from_url("memory://")
    assert isinstance(store, MemoryStore)
    assert store.max_entries == 10_000
    tuned = store_from_url("memory://?max_entries=50&namespace=app:")
    assert isinstance(tuned, MemoryStore)
    assert (tuned.max_entries, tuned.namespace) == (50, "app:")
    assert isinstance(store_from_url("MEMORY:///"), MemoryStore)


def test_keyword_options_win_over_the_url() -> None:
    store = store_from_url("memory://?max_entries=50", max_entries=7)
    assert isinstance(store, MemoryStore)
    assert store.max_entries == 7


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memory://?max_entries=lots", "max_entries must be a positive integer"),
        ("memory://?max_entries=0", "max_entries must be a positive integer"),
        ("memory://?size=5", "unknown option 'size'"),
        ("memory://somehost/db", "a memory store has no host or path"),
    ],
    ids=["not-a-number", "zero", "unknown-option", "host"],
)
def test_a_bad_memory_url_is_a_configuration_error(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        store_from_url(url)
    assert url in str(info.value)


def test_a_bad_keyword_option_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="max_entries must be a positive integer"):
        store_from_url("memory://", max_entries=-5)
    with pytest.raises(ConfigurationError, match="memory://"):
        store_from_url("memory://", colour="blue")


@pytest.mark.parametrize(
    "url",
    ["mongodb://admin:hunter2@db.example.org:27017/x", "127.0.0.1:6379", "://:hunter2@x"],
    ids=["unknown-scheme", "no-scheme", "empty-scheme"],
)
def test_an_unknown_scheme_names_the_known_ones_and_masks_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError, match="unknown scheme") as info:
        store_from_url(url)
    message = str(info.value)
    assert "memory://" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("redis://:s3cret@host:6379/0", "redis://:***@host:6379/0"),
        ("redis://ann:s3cret@host/0", "redis://ann:***@host/0"),
        ("redis://ann:p@ss@host/0", "redis://ann:***@host/0"),
        ("redis://ann@host/0", "redis://ann@host/0"),
        ("redis://host:6379/0", "redis://host:6379/0"),
        ("memory://", "memory://"),
        ("not a url", "not a url"),
    ],
    ids=["password", "user-and-password", "at-in-password", "user", "none", "memory", "no-scheme"],
)
def test_mask_password_hides_only_the_password(url: str, masked: str) -> None:
    assert mask_password(url) == masked
