"""Sessions: the per-request :class:`Session` and the server-side :class:`Sessions` registry.

The middleware that loads and writes them is :class:`covet.middleware.SessionMiddleware`.
"""

from covet.sessions.registry import SessionInfo, Sessions
from covet.sessions.session import Session

__all__ = ["Session", "SessionInfo", "Sessions"]
