"""Request and response data structures: URL, Headers, QueryParams, State. No I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, overload
from urllib.parse import SplitResult, urlencode, urlsplit

from covet._parsers.query import parse_query_string
from covet.types import RawHeaders, Scope

_T = TypeVar("_T")
_UNSAFE_HEADER_CHARS = frozenset("\r\n\x00")


class URL:
    """A URL with its components parsed on demand; compares equal to its string form."""

    __slots__ = ("_parts", "_url")

    def __init__(self, url: str = "") -> None:
        self._url = str(url)
        self._parts: SplitResult | None = None

    def __str__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"URL({self._url!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, URL | str):
            return self._url == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._url)

    @classmethod
    def from_scope(cls, scope: Scope) -> URL:
        """Rebuild the URL the client requested from an ASGI scope."""
        scheme = scope.get("scheme", "http")
        path = scope.get("path", "/")
        query = scope.get("query_string", b"")
        host = None
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = value.decode("latin-1")
                break
        if host is None:
            server = scope.get("server")
            if server is None:
                host = ""
            else:
                host_name, port = server[0], server[1]
                default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)
                host = host_name if port == default or port is None else f"{host_name}:{port}"
        url = f"{scheme}://{host}{_quote_path(path)}"
        if query:
            url += "?" + query.decode("latin-1")
        return cls(url)

    @property
    def parts(self) -> SplitResult:
        """The parsed components (cached)."""
        if self._parts is None:
            self._parts = urlsplit(self._url)
        return self._parts

    @property
    def scheme(self) -> str:
        """The scheme, such as ``https``."""
        return self.parts.scheme

    @property
    def netloc(self) -> str:
        """Host and port as written in the URL."""
        return self.parts.netloc

    @property
    def hostname(self) -> str | None:
        """The host name without the port."""
        return self.parts.hostname

    @property
    def port(self) -> int | None:
        """The explicit port, if any."""
        return self.parts.port

    @property
    def path(self) -> str:
        """The percent-encoded path."""
        return self.parts.path

    @property
    def query(self) -> str:
        """The raw query string, without ``?``."""
        return self.parts.query

    @property
    def fragment(self) -> str:
        """The fragment, without ``#``."""
        return self.parts.fragment

    @property
    def is_secure(self) -> bool:
        """Whether the scheme is ``https`` or ``wss``."""
        return self.scheme in ("https", "wss")

    def replace(self, **components: Any) -> URL:
        """Return a copy with some components replaced (``scheme``, ``path``, ``query``...)."""
        return URL(self.parts._replace(**components).geturl())

    def include_query_params(self, **params: Any) -> URL:
        """Return a copy whose query string also contains ``params`` (replacing same names)."""
        current = [(k, v) for k, v in QueryParams(self.query).multi_items() if k not in params]
        current.extend((k, str(v)) for k, v in params.items())
        return self.replace(query=urlencode(current))


def _quote_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/:@!$&'()*+,;=-._~")


class Headers(Mapping[str, str]):
    """Immutable, case-insensitive, multi-valued HTTP headers.

    Built from ASGI raw headers (lower-case byte pairs); values are decoded as Latin-1.
    """

    __slots__ = ("_list",)

    def __init__(
        self,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        *,
        raw: RawHeaders | None = None,
        scope: Scope | None = None,
    ) -> None:
        if raw is not None:
            self._list: RawHeaders = raw
        elif scope is not None:
            self._list = list(scope["headers"])
        elif headers is None:
            self._list = []
        else:
            items = headers.items() if isinstance(headers, Mapping) else headers
            self._list = [(_encode_name(k), _encode_value(v)) for k, v in items]

    @property
    def raw(self) -> RawHeaders:
        """The underlying list of ``(name, value)`` byte pairs."""
        return self._list

    def getlist(self, key: str) -> list[str]:
        """Return every value of header ``key``, in order."""
        name = key.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self._list if k == name]

    def __getitem__(self, key: str) -> str:
        name = key.lower().encode("latin-1")
        for k, v in self._list:
            if k == name:
                return v.decode("latin-1")
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = key.lower().encode("latin-1")
        return any(k == name for k, _ in self._list)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for k, _ in self._list:
            name = k.decode("latin-1")
            if name not in seen:
                seen.add(name)
                yield name

    def __len__(self) -> int:
        return len({k for k, _ in self._list})

    def multi_items(self) -> list[tuple[str, str]]:
        """All ``(name, value)`` pairs including repeats."""
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self._list]

    def mutablecopy(self) -> MutableHeaders:
        """Return a mutable copy."""
        return MutableHeaders(raw=list(self._list))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted(self._list) == sorted(other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.multi_items()!r})"


class MutableHeaders(Headers):
    """Case-insensitive headers that can be changed; values are checked for CR, LF and NUL."""

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        name = _encode_name(key)
        encoded = _encode_value(value)
        found = False
        kept: RawHeaders = []
        for k, v in self._list:
            if k == name:
                if not found:
                    kept.append((k, encoded))
                    found = True
            else:
                kept.append((k, v))
        if not found:
            kept.append((name, encoded))
        self._list[:] = kept

    def __delitem__(self, key: str) -> None:
        name = key.lower().encode("latin-1")
        self._list[:] = [(k, v) for k, v in self._list if k != name]

    def append(self, key: str, value: str) -> None:
        """Add a header, keeping existing ones with the same name."""
        self._list.append((_encode_name(key), _encode_value(value)))

    def setdefault(self, key: str, value: str) -> str:
        """Set ``key`` only if absent; return its (first) value."""
        if key in self:
            return self[key]
        self.append(key, value)
        return value

    def update(self, other: Mapping[str, str]) -> None:
        """Set every header of ``other``."""
        for key, value in other.items():
            self[key] = value


def _encode_name(name: str) -> bytes:
    if not name or not _is_token(name):
        raise ValueError(f"Invalid header name {name!r}")
    return name.lower().encode("latin-1")


def _encode_value(value: str) -> bytes:
    if not _UNSAFE_HEADER_CHARS.isdisjoint(value):
        raise ValueError(f"Header value contains CR, LF or NUL: {value!r}")
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(f"Header value must be Latin-1 text: {value!r}") from exc


_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _is_token(name: str) -> bool:
    return _TOKEN_CHARS.issuperset(name)


class ImmutableMultiDict(Mapping[str, _T]):
    """A read-only mapping that keeps every value of a repeated key.

    ``d[key]`` returns the last value (like Starlette and Werkzeug's last-wins query
    semantics); :meth:`getlist` returns all of them.
    """

    __slots__ = ("_dict", "_list")

    def __init__(self, items: Iterable[tuple[str, _T]] | Mapping[str, _T] | None = None) -> None:
        if type(items) is list:
            pairs: list[tuple[str, _T]] = items  # PERF: parsers hand over a fresh list
        elif items is None:
            pairs = []
        elif isinstance(items, Mapping):
            pairs = list(items.items())
        else:
            pairs = list(items)
        self._list = pairs
        self._dict = dict(pairs)

    def getlist(self, key: str) -> list[_T]:
        """Return every value of ``key``, in order."""
        return [v for k, v in self._list if k == key]

    def multi_items(self) -> list[tuple[str, _T]]:
        """All ``(key, value)`` pairs including repeats."""
        return list(self._list)

    def __getitem__(self, key: str) -> _T:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImmutableMultiDict):
            return NotImplemented
        return self._list == other._list

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


class QueryParams(ImmutableMultiDict[str]):
    """Multi-valued query string parameters."""

    __slots__ = ()

    def __init__(
        self,
        query: str | bytes | Iterable[tuple[str, str]] | Mapping[str, str] | None = None,
        *,
        max_params: int | None = None,
    ) -> None:
        if isinstance(query, bytes):
            # PERF: the per-request case sets the fields directly, skipping the base __init__.
            pairs = parse_query_string(query, max_params=max_params)
            self._list = pairs
            self._dict = dict(pairs)
        elif isinstance(query, str):
            super().__init__(parse_query_string(query.encode("latin-1"), max_params=max_params))
        else:
            super().__init__(query)

    def __str__(self) -> str:
        return urlencode(self._list)


class State:
    """Attribute-style access to a dict of values (``request.state.user``)."""

    __slots__ = ("_explain", "_state")

    def __init__(
        self, state: dict[str, Any] | None = None, explain: Callable[[], str] | None = None
    ) -> None:
        object.__setattr__(self, "_state", {} if state is None else state)
        # Adds why an attribute may be missing to the error (the lifespan has not run, ...).
        object.__setattr__(self, "_explain", explain)

    def __setattr__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: str) -> Any:
        try:
            return self._state[key]
        except KeyError:
            hint = self._explain() if self._explain is not None else ""
            raise AttributeError(f"State has no attribute {key!r}{hint}") from None

    def __delattr__(self, key: str) -> None:
        try:
            del self._state[key]
        except KeyError:
            raise AttributeError(f"State has no attribute {key!r}") from None

    def __contains__(self, key: str) -> bool:
        return key in self._state

    def as_dict(self) -> dict[str, Any]:
        """Return the underlying dict (shared, not a copy)."""
        state: dict[str, Any] = self._state
        return state

    def __repr__(self) -> str:
        return f"State({self._state!r})"


@overload
def first_header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> bytes | None: ...
@overload
def first_header(headers: Sequence[tuple[bytes, bytes]], name: bytes, default: bytes) -> bytes: ...
def first_header(
    headers: Sequence[tuple[bytes, bytes]], name: bytes, default: bytes | None = None
) -> bytes | None:
    """Return the first raw value of header ``name`` (lower-case bytes) in ASGI headers."""
    for k, v in headers:
        if k == name:
            return v
    return default
