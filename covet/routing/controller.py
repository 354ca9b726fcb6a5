"""Class-based controllers: routes grouped under a shared prefix, tags and dependencies.

Example::

    class Items(Controller, prefix="/items", tags=["items"], dependencies=[Depends(auth)]):
        @Controller.get("/{item_id:int}")
        async def read(self, item_id: int) -> Item: ...

        @Controller.post("", status_code=201)
        async def create(self, item: ItemIn) -> Item: ...

    app.include_router(Items.as_router())

One controller instance serves every request, so state kept on ``self`` is shared; per-request
values belong in parameters and dependencies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from covet.exceptions import ConfigurationError
from covet.params import Depends
from covet.routing.router import Router
from covet.routing.routes import MiddlewareSpec

_F = TypeVar("_F", bound=Callable[..., Any])
_ROUTE_ATTRIBUTE = "__covet_route__"


class Controller:
    """Base class for a group of handlers written as methods.

    Class keywords (or attributes) ``prefix``, ``tags``, ``dependencies``, ``middleware``
    and ``opt`` apply to every handler, as the same :class:`Router` options do.
    """

    prefix: ClassVar[str] = ""
    tags: ClassVar[list[str]] = []
    dependencies: ClassVar[list[Depends]] = []
    middleware: ClassVar[list[MiddlewareSpec]] = []
    opt: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(
        cls,
        *,
        prefix: str | None = None,
        tags: Iterable[str] | None = None,
        dependencies: Sequence[Depends] | None = None,
        middleware: Sequence[MiddlewareSpec] | None = None,
        opt: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is not None:
            cls.prefix = prefix
        if tags is not None:
            cls.tags = list(tags)
        if dependencies is not None:
            cls.dependencies = list(dependencies)
        if middleware is not None:
            cls.middleware = list(middleware)
        if opt is not None:
            cls.opt = dict(opt)

    @staticmethod
    def route(
        path: str, *, methods: Iterable[str] = ("GET",), **options: Any
    ) -> Callable[[_F], _F]:
        """Mark a method as a handler for ``methods`` on ``path`` (relative to the prefix)."""

        def mark(func: _F) -> _F:
            setattr(func, _ROUTE_ATTRIBUTE, (path, tuple(methods), options))
            return func

        return mark

    @staticmethod
    def get(path: str, **options: Any) -> Callable[[_F], _F]:
        """Mark a GET handler method."""
        return Controller.route(path, methods=("GET",), **options)

    @staticmethod
    def post(path: str, **options: Any) -> Callable[[_F], _F]:
        """Mark a POST handler method."""
        return Controller.route(path, methods=("POST",), **options)

    @staticmethod
    def put(path: str, **options: Any) -> Callable[[_F], _F]:
        """Mark a PUT handler method."""
        return Controller.route(path, methods=("PUT",), **options)

    @staticmethod
    def patch(path: str, **options: Any) -> Callable[[_F], _F]:
        """Mark a PATCH handler method."""
        return Controller.route(path, methods=("PATCH",), **options)

    @staticmethod
    def delete(path: str, **options: Any) -> Callable[[_F], _F]:
        """Mark a DELETE handler method."""
        return Controller.route(path, methods=("DELETE",), **options)

    @classmethod
    def as_router(cls) -> Router:
        """Build a :class:`Router` serving this controller's handlers (one shared instance)."""
        instance = cls()
        router = Router(
            prefix=cls.prefix,
            tags=cls.tags,
            middleware=cls.middleware,
            dependencies=cls.dependencies,
            opt=cls.opt,
        )
        found = False
        for name in dir(cls):
            marker = getattr(getattr(cls, name, None), _ROUTE_ATTRIBUTE, None)
            if marker is None:
                continue
            path, methods, options = marker
            options = {"name": f"{cls.__name__}.{name}", **options}
            router.route(path, methods=methods, **options)(getattr(instance, name))
            found = True
        if not found:
            raise ConfigurationError(f"Controller {cls.__qualname__} declares no routes.")
        return router
