"""Several real uvicorn processes on one Redis (or PostgreSQL): rooms reach every client.

WebSocket clients split across the processes join a room; messages published through any
process (over HTTP and from the clients' own WebSockets) reach every client exactly once,
in order per publisher. A client that stops reading is closed by policy without delaying
the others, and a page of another site cannot open a WebSocket at all.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.realtime.conftest import PG_URL
from tests.support.optional import missing
from tests.support.redis import delete_namespace, shared_redis_url, unique_prefix
from tests.support.servers import uvicorn_servers

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

APP = "tests.e2e.realtime_app:app"
CLIENTS = 12
MESSAGES = 25  # per HTTP publisher


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def redis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    namespace = unique_prefix()
    url = f"{shared_redis_url()}?namespace={namespace}"
    env = {"COVET_E2E_CHANNELS_URL": url, "COVET_E2E_CHANNELS_QUEUE": "50"}
    try:
        with uvicorn_servers(APP, tmp_path_factory.mktemp("realtime-redis"), env, count=3) as urls:
            yield urls
    finally:
        delete_namespace(shared_redis_url(), namespace)


@pytest.fixture(scope="module")
def postgres_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    import asyncpg

    async def reachable() -> None:
        connection = await asyncpg.connect(PG_URL, timeout=3)
        await connection.close()

    try:
        asyncio.run(reachable())
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        missing(f"PostgreSQL is not reachable at {PG_URL}: {exc}")
    env = {"COVET_E2E_CHANNELS_URL": PG_URL}
    with uvicorn_servers(APP, tmp_path_factory.mktemp("realtime-postgres"), env, count=2) as urls:
        yield urls


def unique_room() -> str:
    return f"lobby-{uuid.uuid4().hex[:12]}"


def ws_url(base: str, room: str, client: str) -> str:
    return f"ws{base.removeprefix('http')}/rooms/{room}?client={client}"


async def join(base: str, room: str, client: str, **options: Any) -> tuple[ClientConnection, int]:
    """A client in ``room`` through ``base``; its connection and the serving process's pid."""
    ws = await connect(ws_url(base, room, client), open_timeout=10, **options)
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ack["joined"] == room
    return ws, ack["pid"]


async def receive(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(30):
        return [json.loads(await ws.recv()) for _ in range(count)]


async def fan_out(urls: list[str], room: str, *, presence: bool) -> None:
    clients = [await join(urls[n % len(urls)], room, f"c{n}") for n in range(CLIENTS)]
    assert len({pid for _, pid in clients}) == len(urls)  # every process serves some
    try:
        if presence:  # every process lists the clients of every process
            async with httpx.AsyncClient(timeout=10) as http:
                for url in urls:
                    listed = (await http.get(f"{url}/rooms/{room}/members")).json()
                    assert set(listed) == {f"c{n}" for n in range(CLIENTS)}
                    assert {info["pid"] for info in listed.values()} == {p for _, p in clients}

        async def publish_over_http(index: int, http: httpx.AsyncClient) -> None:
            for seq in range(MESSAGES):  # one after the other: this publisher's order
                response = await http.post(
                    f"{urls[index]}/rooms/{room}/publish",
                    params={"publisher": f"http{index}", "seq": seq},
                )
                assert response.status_code == 200, response.text

        async def publish_over_websocket(index: int) -> None:
            ws = clients[index][0]
            for seq in range(MESSAGES):
                await ws.send(json.dumps({"text": "hi", "seq": seq}))

        async with httpx.AsyncClient(timeout=10) as http:
            await asyncio.gather(
                *(publish_over_http(index, http) for index in range(len(urls))),
                *(publish_over_websocket(index) for index in range(len(urls))),
            )
        publishers = {f"http{i}" for i in range(len(urls))} | {f"c{i}" for i in range(len(urls))}
        expected = len(publishers) * MESSAGES
        for ws, _ in clients:
            got = await receive(ws, expected)
            for publisher in publishers:
                seqs = [m["seq"] for m in got if m["publisher"] == publisher]
                assert seqs == list(range(MESSAGES)), publisher  # exactly once, in order
            with pytest.raises(TimeoutError):  # and nothing more
                await asyncio.wait_for(ws.recv(), 0.3)
    finally:
        for ws, _ in clients:
            await ws.close()


async def test_three_processes_on_one_redis_reach_every_client_once_in_order_and_list_them(
    redis_servers: list[str],
) -> None:
    await fan_out(redis_servers, unique_room(), presence=True)


async def test_two_processes_on_postgresql_listen_notify_reach_every_client_once_in_order(
    postgres_servers: list[str],
) -> None:
    # NOTIFY channels are the database's: other test runs on it must not hear this one.
    await fan_out(postgres_servers, unique_room(), presence=False)


class StalledClient:
    """A WebSocket client on a raw socket that reads nothing after the handshake.

    Its small receive buffer (which also turns autotuning off) fills at once, so the
    server's sends to it block, as they do for a phone that went into a tunnel.
    """

    def __init__(self, base: str, path: str) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        self.sock.settimeout(30)
        self.sock.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed without a close frame")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def frame(self) -> tuple[int, bytes]:
        """The next frame the server sent: its opcode and payload."""
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self._read(2), "big")
        elif length == 127:
            length = int.from_bytes(self._read(8), "big")
        return first & 0x0F, self._read(length)

    def close_code(self) -> tuple[int, int]:
        """Read to the close frame: (messages read before it, its code)."""
        messages = 0
        while True:
            opcode, payload = self.frame()
            if opcode == 0x8:
                return messages, int.from_bytes(payload[:2], "big")
            messages += 1


async def test_a_client_that_stops_reading_is_closed_and_never_delays_the_others(
    redis_servers: list[str],
) -> None:
    first, second, _ = redis_servers
    stalled = StalledClient(first, "/rooms/slow?client=stalled")
    assert json.loads(stalled.frame()[1])["joined"] == "slow"
    reader, _ = await join(first, "slow", "reader", max_queue=None)
    other, _ = await join(second, "slow", "other", max_queue=None)
    count, size = 300, 64 * 1024  # ~19 MB: more than the socket buffers hold
    readers = [asyncio.create_task(receive(ws, count)) for ws in (reader, other)]
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            async with asyncio.timeout(60):
                for seq in range(count):
                    response = await http.post(
                        f"{second}/rooms/slow/publish",
                        params={"publisher": "p", "seq": seq, "size": size},
                    )
                    assert response.status_code == 200
            for task in readers:
                assert [m["seq"] for m in await task] == list(range(count))
            stats = (await http.get(f"{first}/stats")).json()
        # The stalled client's backlog is bounded: a process that kept it grows by gigabytes.
        # Peaks of 300-370 MB were seen on a loaded 2-core machine (see the closing note of
        # 2026-12-06: why the peak is this far above the 19 MB sent is still to be found).
        assert stats["max_rss_kib"] < 600 * 1024
        read, code = await asyncio.to_thread(stalled.close_code)
        assert code == 1008
        assert read < count  # it was dropped, not served everything late
    finally:
        stalled.sock.close()
        for ws in (reader, other):
            await ws.close()


async def test_a_page_of_another_site_cannot_open_a_websocket(redis_servers: list[str]) -> None:
    url = ws_url(redis_servers[0], "lobby", "x")
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, origin="https://evil.example", open_timeout=10)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    ws = await connect(url, origin="https://chat.example.org", open_timeout=10)  # type: ignore[arg-type]
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["joined"] == "lobby"
    await ws.close()
