"""Old name of :mod:`covet.types`, kept so code importing ``covet._types`` keeps working."""

from __future__ import annotations

from covet.types import ASGIApp, Message, RawHeaders, Receive, Scope, Send

__all__ = ["ASGIApp", "Message", "RawHeaders", "Receive", "Scope", "Send"]
