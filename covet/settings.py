"""Typed application settings read from environment variables and an optional ``.env`` file.

Declare a subclass of :class:`Settings` with annotated fields; creating an instance reads each
field from the environment (``PREFIX + NAME.upper()``), then the ``.env`` file, then the class
default, and validates it with the same engine as request parameters. Every bad or missing
variable is reported at once, by its environment name, in one :class:`SettingsError`.

Example::

    class AppSettings(Settings, env_prefix="SHOP_", env_file=".env"):
        port: int = 8000
        api_key: Secret[str]

    settings = AppSettings()  # SHOP_PORT=abc fails here, naming SHOP_PORT
"""

from __future__ import annotations

import copy
import json
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from covet._annotations import is_typeddict
from covet.exceptions import ConfigurationError
from covet.validation import ValidationError, ValidationIssue, Validator, compile_validator
from covet.validation._typing import ABSTRACT_ORIGINS, is_dataclass_type, is_union
from covet.validation.models import is_msgspec_struct, is_pydantic_model

__all__ = ["Secret", "Settings", "SettingsError", "parse_env_file"]

T = TypeVar("T")

_MASK = "**********"
_SEQUENCES = (list, set, frozenset, tuple)
_CONTAINERS = (*_SEQUENCES, dict)
_MISSING: Any = object()
_RESERVED = frozenset({"as_dict", "replace"})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


class Secret(Generic[T]):
    """A value kept out of ``repr``, ``str`` and logs; read it with :meth:`get_secret_value`.

    Args:
        value: The secret value.
    """

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def get_secret_value(self) -> T:
        """Return the wrapped value."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return bool(self._value == other._value)

    def __hash__(self) -> int:
        return hash(self._value)


class SettingsError(ConfigurationError):
    """Settings could not be loaded; ``problems`` maps each variable name to what was wrong.

    Args:
        settings_name: The settings class name, for the message.
        problems: ``(variable, message)`` pairs, in field order.
    """

    def __init__(self, settings_name: str, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = [f"{settings_name}: {len(problems)} invalid or missing setting(s):"]
        lines += [f"  {name}: {msg}" for name, msg in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class _Options:
    env_prefix: str
    env_file: str | os.PathLike[str] | None
    case_sensitive: bool


@dataclass(frozen=True, slots=True)
class _Field:
    """One settings field, with its validators compiled once per class."""

    name: str
    env_name: str
    default: Any
    secret: bool
    structured: bool
    splittable: bool
    text: Validator
    decoded: Validator

    def from_text(self, raw: str) -> Any:
        """Convert a string from the environment, a ``.env`` file or a keyword argument."""
        if not self.structured:
            return self._wrap(self.text(raw))
        stripped = raw.strip()
        if self.splittable and not stripped.startswith("["):
            items = [item.strip() for item in raw.split(",")] if stripped else []
            return self._wrap(self.text(items))
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            issue = ValidationIssue((), f"Input should be valid JSON, {exc}", "json_invalid")
            raise ValidationError([issue]) from None
        return self._wrap(self.decoded(decoded))

    def from_value(self, value: Any) -> Any:
        """Convert a Python value given as a keyword argument."""
        if isinstance(value, Secret):
            value = value.get_secret_value()
        if isinstance(value, str):
            return self.from_text(value)
        return self._wrap((self.decoded if self.structured else self.text)(value))

    def default_value(self) -> Any:
        """Return a fresh copy of the default so instances never share mutable defaults."""
        value = copy.deepcopy(self.default)
        if self.secret and not isinstance(value, Secret):
            return Secret(value)
        return value

    def _wrap(self, value: Any) -> Any:
        return Secret(value) if self.secret else value


class Settings:
    """Base class for typed, immutable settings filled from the environment.

    Subclass options (class keywords): ``env_prefix`` (default ``""``), ``env_file`` (a path or
    ``None``) and ``case_sensitive`` (default ``False``). Each annotated field is looked up as:
    keyword argument, then environment variable ``env_prefix + NAME.upper()``, then the
    ``.env`` file, then the class default; a field without a default is required.

    Args:
        _env_file: Overrides the class's ``env_file`` for this instance (``None`` disables it).
        _environ: Read this mapping instead of ``os.environ`` (handy in tests).
        **values: Explicit field values; they win over every other source.

    Raises:
        SettingsError: Some variables are missing or invalid; all of them are listed.
    """

    _covet_options: ClassVar[_Options] = _Options("", None, False)
    _covet_fields: ClassVar[tuple[_Field, ...] | None] = None

    def __init_subclass__(
        cls,
        *,
        env_prefix: str | None = None,
        env_file: str | os.PathLike[str] | None = _MISSING,
        case_sensitive: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        parent = cls._covet_options
        cls._covet_options = _Options(
            parent.env_prefix if env_prefix is None else env_prefix,
            parent.env_file if env_file is _MISSING else env_file,
            parent.case_sensitive if case_sensitive is None else case_sensitive,
        )
        cls._covet_fields = None

    def __init__(
        self,
        *,
        _env_file: str | os.PathLike[str] | None = _MISSING,
        _environ: Mapping[str, str] | None = None,
        **values: Any,
    ) -> None:
        cls = type(self)
        options = cls._covet_options
        env_file = options.env_file if _env_file is _MISSING else _env_file
        sources = [
            _Source(os.environ if _environ is None else _environ, options.case_sensitive),
            _Source(_read_env_file(env_file), options.case_sensitive),
        ]
        loaded, problems = _load(cls._fields(), values, sources, env_file)
        problems += [(f"{name} (keyword argument)", "Unknown setting") for name in values]
        if problems:
            raise SettingsError(cls.__name__, problems)
        self.__dict__.update(loaded)

    @classmethod
    def _fields(cls) -> tuple[_Field, ...]:
        fields = cls.__dict__.get("_covet_fields")
        if fields is None:
            fields = _compile_fields(cls)
            cls._covet_fields = fields
        return fields

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in self._values().items())
        return f"{type(self).__name__}({inner})"

    def as_dict(self, *, reveal_secrets: bool = False) -> dict[str, Any]:
        """Return the field values by name.

        Args:
            reveal_secrets: Unwrap :class:`Secret` fields to their value; otherwise they stay
                wrapped (and masked when printed).
        """
        values = self._values()
        if not reveal_secrets:
            return dict(values)
        return {name: _reveal(value) for name, value in values.items()}

    def replace(self, **changes: Any) -> typing.Self:
        """Return a copy with ``changes`` validated and applied (for tests and overrides).

        Raises:
            SettingsError: A change is invalid or names no field.
        """
        cls = type(self)
        fields = {field.name: field for field in cls._fields()}
        values = self._values()
        problems: list[tuple[str, str]] = []
        for name, raw in changes.items():
            if name not in fields:
                problems.append((f"{name} (keyword argument)", "Unknown setting"))
                continue
            try:
                values[name] = fields[name].from_value(raw)
            except ValidationError as exc:
                problems += _describe(f"{name} (keyword argument)", exc)
        if problems:
            raise SettingsError(cls.__name__, problems)
        new = object.__new__(cls)
        new.__dict__.update(values)
        return new

    def _values(self) -> dict[str, Any]:
        return {field.name: self.__dict__[field.name] for field in type(self)._fields()}


class _Source:
    """One mapping of variables, looked up case-insensitively unless told otherwise."""

    def __init__(self, mapping: Mapping[str, str], case_sensitive: bool) -> None:
        self.case_sensitive = case_sensitive
        if case_sensitive:
            self.mapping = dict(mapping)
        else:
            self.mapping = {key.lower(): value for key, value in mapping.items()}

    def get(self, name: str) -> str | None:
        return self.mapping.get(name if self.case_sensitive else name.lower())


def _load(
    fields: tuple[_Field, ...],
    values: dict[str, Any],
    sources: list[_Source],
    env_file: str | os.PathLike[str] | None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Resolve every field; pops used keyword arguments from ``values``."""
    loaded: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for field in fields:
        name = field.env_name
        try:
            if field.name in values:
                name = f"{field.name} (keyword argument)"
                loaded[field.name] = field.from_value(values.pop(field.name))
            elif (raw := _lookup(field.env_name, sources)) is not None:
                loaded[field.name] = field.from_text(raw)
            elif field.default is not _MISSING:
                loaded[field.name] = field.default_value()
            else:
                where = f" or add it to {os.fspath(env_file)}" if env_file is not None else ""
                msg = f"Field required; set this environment variable{where}"
                problems.append((field.env_name, msg))
        except ValidationError as exc:
            problems += _describe(name, exc)
    return loaded, problems


def _lookup(name: str, sources: list[_Source]) -> str | None:
    for source in sources:
        raw = source.get(name)
        if raw is not None:
            return raw
    return None


def _describe(name: str, exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for issue in exc.issues:
        where = name + "".join(f"[{part!r}]" for part in issue.loc)
        out.append((where, issue.msg))
    return out


def _reveal(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, Secret) else value


def _compile_fields(cls: type[Settings]) -> tuple[_Field, ...]:
    """Compile one :class:`_Field` per public annotated attribute of ``cls``."""
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:  # NameError, TypeError, ... from user annotations
        raise ConfigurationError(
            f"Cannot resolve the annotations of {cls.__name__}: {exc}"
        ) from exc
    options = cls._covet_options
    fields = []
    for name, hint in hints.items():
        if name.startswith("_") or typing.get_origin(hint) is ClassVar:
            continue
        if name in _RESERVED:
            raise ConfigurationError(f"{cls.__name__}.{name}: the name is reserved by Settings")
        try:
            fields.append(_compile_field(name, hint, getattr(cls, name, _MISSING), options))
        except TypeError as exc:
            raise ConfigurationError(f"{cls.__name__}.{name}: {exc}") from exc
    return tuple(fields)


def _compile_field(name: str, hint: Any, default: Any, options: _Options) -> _Field:
    secret = typing.get_origin(hint) is Secret
    if secret:
        (hint,) = typing.get_args(hint)
    env_name = options.env_prefix + name.upper()
    return _Field(
        name=name,
        env_name=env_name,
        default=default,
        secret=secret,
        structured=_is_structured(hint),
        splittable=_is_splittable(hint),
        text=compile_validator(hint, mode="text"),
        decoded=compile_validator(hint, mode="json"),
    )


def _core(hint: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` to reach the type that decides how text is parsed."""
    while typing.get_origin(hint) is typing.Annotated:
        hint = hint.__origin__
    if is_union(typing.get_origin(hint)):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(args) == 1:
            return _core(args[0])
    return hint


def _is_structured(hint: Any) -> bool:
    hint = _core(hint)
    origin = typing.get_origin(hint) or hint
    if origin in _CONTAINERS or origin in ABSTRACT_ORIGINS:
        return True
    return isinstance(origin, type) and (
        is_dataclass_type(origin)
        or is_typeddict(origin)
        or is_pydantic_model(origin)
        or is_msgspec_struct(origin)
    )


def _is_splittable(hint: Any) -> bool:
    """Whether ``hint`` is a homogeneous sequence of scalars, so ``a,b,c`` can fill it."""
    hint = _core(hint)
    origin = typing.get_origin(hint)
    base = ABSTRACT_ORIGINS.get(origin, origin)
    if base not in _SEQUENCES:
        return False
    args = typing.get_args(hint)
    if base is tuple and (len(args) != 2 or args[1] is not Ellipsis):
        return False
    return bool(args) and not _is_structured(args[0])


def _read_env_file(path: str | os.PathLike[str] | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"Cannot read settings file {os.fspath(path)}: {exc}") from exc
    return parse_env_file(text, source=os.fspath(path))


def parse_env_file(text: str, *, source: str = ".env") -> dict[str, str]:
    """Parse ``.env`` text into a dict; nothing is ever expanded or executed.

    Supports ``KEY=value``, ``export KEY=value``, single quotes (literal), double quotes
    (``\\n``, ``\\t``, ``\\"`` and ``\\\\`` escapes), ``#`` comments and blank lines.

    Args:
        text: The file's contents.
        source: Name used in error messages.

    Raises:
        ConfigurationError: A line is not ``KEY=value``; the message gives its number.
    """
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        key, sep, rest = stripped.partition("=")
        key = key.strip()
        if not sep or not key or any(ch.isspace() for ch in key):
            raise ConfigurationError(f"{source}:{number}: expected KEY=value, got {line!r}")
        try:
            out[key] = _env_value(rest.strip())
        except ValueError as exc:
            raise ConfigurationError(f"{source}:{number}: {exc}") from None
    return out


def _env_value(raw: str) -> str:
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = _closing_quote(raw, quote)
        tail = raw[end + 1 :].strip()
        if tail and not tail.startswith("#"):
            raise ValueError(f"unexpected text after the closing quote: {tail!r}")
        body = raw[1:end]
        return _unescape(body) if quote == '"' else body
    value, _, _ = raw.partition(" #")
    return value.rstrip()


def _closing_quote(raw: str, quote: str) -> int:
    index = 1
    while index < len(raw):
        if raw[index] == "\\" and quote == '"':
            index += 2
            continue
        if raw[index] == quote:
            return index
        index += 1
    raise ValueError(f"missing closing {quote} quote")


def _unescape(body: str) -> str:
    out = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(ch)
    return "".join(out)
