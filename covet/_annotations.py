"""Questions about annotations that several layers ask, answered once."""

from __future__ import annotations

import sys
import typing
from typing import Any


def is_typeddict(annotation: Any) -> bool:
    """Whether ``annotation`` is a TypedDict class, from ``typing`` or ``typing_extensions``.

    Before Python 3.13, ``typing_extensions.TypedDict`` makes classes that
    ``typing.is_typeddict`` does not recognise; pydantic users write them routinely. The
    module is consulted only when something already imported it (the core imports nothing).
    """
    if typing.is_typeddict(annotation):
        return True
    extensions = sys.modules.get("typing_extensions")
    return extensions is not None and bool(extensions.is_typeddict(annotation))
