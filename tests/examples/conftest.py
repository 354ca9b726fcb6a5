"""The example app keeps its notes in ``DATABASE_URL``: an in-memory SQLite for these tests.

Set before ``examples.app`` is imported (it reads its settings at import), and inherited by
the servers the tests start, so no test writes ``example.db`` into the repository. A test that
wants a real file or server passes its own ``DATABASE_URL``.
"""

from __future__ import annotations

import os

os.environ.setdefault("DATABASE_URL", "sqlite+aiosqlite:///:memory:")
