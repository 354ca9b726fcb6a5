"""The in-process channels backend: publish and subscribe within one process."""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque

from covet.realtime._backend import Backend, Hub
from covet.realtime.presence import MemoryPresence, PresenceStore

# The most channels whose history one process keeps; the least recently published go first.
MAX_HISTORY_CHANNELS = 10_000


class MemoryBackend(Backend):
    """Channels inside one process (``memory://``): no network, no outage.

    Message ids are increasing integers (as text). With ``history``, the last ``history``
    messages of each of the :data:`MAX_HISTORY_CHANNELS` most recently used channels are
    kept for replay.
    """

    def __init__(self, *, history: int = 0) -> None:
        self.history = history
        self._hub: Hub | None = None
        self._ids = itertools.count(1)
        self._kept: OrderedDict[str, deque[tuple[str, str]]] = OrderedDict()
        self._presence = MemoryPresence()

    async def start(self, hub: Hub) -> None:
        """Deliver to ``hub``."""
        self._hub = hub

    async def stop(self) -> None:
        """Stop delivering (history is kept while the process lives)."""
        self._hub = None

    async def subscribe(self, channel: str) -> str | None:
        """Nothing to set up; return the channel's newest kept id."""
        kept = self._kept.get(channel)
        return kept[-1][0] if kept else None

    async def unsubscribe(self, channel: str) -> None:
        """Nothing to tear down."""

    async def publish(self, channel: str, payload: str) -> str:
        """Keep ``payload`` in history (if any) and deliver it now."""
        event_id = str(next(self._ids))
        if self.history:
            kept = self._kept.get(channel)
            if kept is None:
                kept = self._kept[channel] = deque(maxlen=self.history)
                if len(self._kept) > MAX_HISTORY_CHANNELS:
                    self._kept.popitem(last=False)
            else:
                self._kept.move_to_end(channel)
            kept.append((event_id, payload))
        if self._hub is not None:
            self._hub.deliver(channel, event_id, payload)
        return event_id

    async def replay(self, channel: str, after: str) -> list[tuple[str, str]]:
        """The kept messages of ``channel`` newer than ``after``."""
        since = self.order(after)
        kept = self._kept.get(channel)
        if since is None or not kept:
            return []
        return [entry for entry in kept if int(entry[0]) > since[0]]

    def presence_store(self) -> PresenceStore:
        """Presence in this process."""
        return self._presence

    def order(self, event_id: str) -> tuple[int, ...] | None:
        """An integer id as a sort key."""
        if not (event_id.isascii() and event_id.isdigit()) or len(event_id) > 20:
            return None
        return (int(event_id),)
