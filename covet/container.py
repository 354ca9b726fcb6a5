"""Resolving dependencies outside HTTP: scripts, CLI commands, background jobs."""

from __future__ import annotations

from covet.di.injection import Container

__all__ = ["Container"]
