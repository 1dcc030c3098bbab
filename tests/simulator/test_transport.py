"""Transport: authentication, path, TLS, limits, lifecycle and the test hooks."""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from pathlib import Path

import pytest
import trustme
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from xentara_sync.protocol import Opcode, Request, Success, encode_message
from xentara_sync.simulator import Simulator, User, demo_model_path, generated_model

from .conftest import run, with_client
from .rawclient import RawClient


async def status_of(url: str, **kwargs: object) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as info:
        await RawClient.connect(url, **kwargs)  # type: ignore[arg-type]
    return info.value


# ----------------------------------------------------------------- authentication


def test_basic_auth() -> None:
    with Simulator(users={"xentara": "secret"}) as sim:

        async def main() -> None:
            for kwargs in (
                {},
                {"user": "xentara", "password": "wrong"},
                {"user": "x", "password": "secret"},
            ):
                error = await status_of(sim.url, **kwargs)
                assert error.response.status_code == 401
                assert error.response.headers["WWW-Authenticate"] == 'Basic realm="Xentara"'
            client = await RawClient.connect(sim.url, user="xentara", password="secret")
            assert await client.call(Opcode.GET_STAGE) == 2
            await client.close()
            # credentials in the URL become a Basic header too
            url = sim.url.replace("ws://", "ws://xentara:secret@")
            client = await RawClient.connect(url)
            await client.close()
            error = await status_of(sim.url, additional_headers={"Authorization": "Basic !!!"})
            assert error.response.status_code == 401
            error = await status_of(sim.url, additional_headers={"Authorization": "Bearer abc"})
            assert error.response.status_code == 401

        run(main())
        assert "secret" not in repr(sim)


def test_users_as_objects() -> None:
    with Simulator(users=[User("a", "1"), User("b", "2", write=False)]) as sim:

        async def scenario(client: RawClient) -> None:
            counter = await client.lookup("Hardware.Registers.Counter")
            assert await client.error(Opcode.WRITE, {0: counter, 1: 11, 2: 1}) == -32102

        with_client(sim, scenario, user="b", password="2")
        assert "'2'" not in repr(User("b", "2"))


def test_without_users_any_credentials_are_accepted(sim: Simulator) -> None:
    async def main() -> None:
        for kwargs in ({}, {"user": "anyone", "password": "anything"}):
            client = await RawClient.connect(sim.url, **kwargs)  # type: ignore[arg-type]
            assert await client.call(Opcode.GET_STAGE) == 2
            await client.close()

    run(main())


def test_users_must_be_users() -> None:
    with pytest.raises(TypeError):
        Simulator(users=["admin"])  # type: ignore[list-item]


# ----------------------------------------------------------------- HTTP


@pytest.mark.parametrize("path", ["/", "/api", "/api/ws/", "/api/wss", "/ws"])
def test_wrong_path_is_404(sim: Simulator, path: str) -> None:
    async def main() -> None:
        error = await status_of(sim.url.replace("/api/ws", path))
        assert error.response.status_code == 404

    run(main())


def test_query_string_is_ignored_and_subprotocol_not_selected(sim: Simulator) -> None:
    async def main() -> None:
        async with connect(sim.url + "?x=1", subprotocols=["xentara-v1"]) as ws:  # type: ignore[list-item]
            assert ws.subprotocol is None
            assert ws.response is not None
            assert "Sec-WebSocket-Protocol" not in ws.response.headers
            await ws.send(encode_message([Request(1, Opcode.CLIENT_HELLO, {0: 1, 1: 1})]))
            assert isinstance(await ws.recv(), bytes)

    run(main())


# ----------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def certificates(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[trustme.CA, Path, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    directory = tmp_path_factory.mktemp("tls")
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    cert.cert_chain_pems[0].write_to_path(certfile)
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(certfile, append=True)
    cert.private_key_pem.write_to_path(keyfile)
    return ca, certfile, keyfile


def test_tls_with_cert_and_key_files(certificates: tuple[trustme.CA, Path, Path]) -> None:
    ca, certfile, keyfile = certificates
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with Simulator(certfile=certfile, keyfile=keyfile, users={"u": "p"}) as sim:
        assert sim.url.startswith("wss://127.0.0.1:")

        async def main() -> None:
            client = await RawClient.connect(sim.url, ssl=context, user="u", password="p")
            assert await client.call(Opcode.GET_STAGE) == 2
            await client.close()
            untrusting = ssl.create_default_context()
            with pytest.raises(ssl.SSLCertVerificationError):
                await RawClient.connect(sim.url, ssl=untrusting, user="u", password="p")
            plain = sim.url.replace("wss://", "ws://")
            with pytest.raises((ConnectionClosed, OSError, InvalidHandshake)):
                await RawClient.connect(plain, user="u", password="p")

        run(main())


def test_tls_with_ssl_context(certificates: tuple[trustme.CA, Path, Path]) -> None:
    ca, certfile, keyfile = certificates
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(certfile, keyfile)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with Simulator(ssl=server_context) as sim:
        assert sim.url.startswith("wss://")
        with_client(sim, lambda c: c.call(Opcode.GET_STAGE), ssl=client_context)


def test_keyfile_needs_certfile() -> None:
    with pytest.raises(ValueError, match="certfile"):
        Simulator(keyfile="key.pem")


# ----------------------------------------------------------------- limits


def test_message_size_limit() -> None:
    with Simulator(max_message_size=4096) as sim:

        async def main() -> None:
            client = await RawClient.connect(sim.url)
            big = encode_message([Request(9, Opcode.LOOKUP, {0: "x" * 8000})])
            await client.send(big)
            with pytest.raises(ConnectionClosed) as info:
                await client.receive(5)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1009
            # other connections are not affected
            other = await RawClient.connect(sim.url)
            assert await other.call(Opcode.GET_STAGE) == 2
            await other.close()

        run(main())


# ----------------------------------------------------------------- lifecycle and hooks


def test_connection_count_and_disconnect_all(sim: Simulator) -> None:
    async def main() -> None:
        clients = [await RawClient.connect(sim.url) for _ in range(3)]
        assert sim.connection_count == 3
        await asyncio.get_running_loop().run_in_executor(None, sim.disconnect_all)
        for client in clients:
            with pytest.raises(ConnectionClosed) as info:
                await client.receive(5)
            assert info.value.rcvd is None  # abrupt: no closing handshake
        for _ in range(100):
            if sim.connection_count == 0:
                break
            await asyncio.sleep(0.01)
        assert sim.connection_count == 0
        client = await RawClient.connect(sim.url)  # the server still serves
        assert sim.connection_count == 1
        await client.close()

    run(main())


def test_stall_holds_requests_then_answers_in_order(sim: Simulator) -> None:
    async def main() -> None:
        client = await RawClient.connect(sim.url)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sim.stall)
        await client.send(encode_message([Request(11, Opcode.GET_STAGE)]))
        await client.send(encode_message([Request(12, Opcode.LOOKUP, {0: "Hardware"})]))
        with pytest.raises((asyncio.TimeoutError, TimeoutError)):
            await client.receive(0.2)
        await loop.run_in_executor(None, sim.unstall)
        assert await client.receive() == [Success(11, 2)]
        answer = await client.receive()
        assert answer == [Success(12, sim.model.by_key["Hardware"].uuid)]
        await client.close()

    run(main())


def test_stalled_context_manager(sim: Simulator) -> None:
    async def main() -> None:
        client = await RawClient.connect(sim.url)
        loop = asyncio.get_running_loop()
        stalled = sim.stalled()
        await loop.run_in_executor(None, stalled.__enter__)
        await client.send(encode_message([Request(5, Opcode.GET_STAGE)]))
        with pytest.raises((asyncio.TimeoutError, TimeoutError)):
            await client.receive(0.1)
        await loop.run_in_executor(None, stalled.__exit__, None, None, None)
        assert await client.receive() == [Success(5, 2)]
        await client.close()

    run(main())


def test_async_mode_serves_on_the_running_loop() -> None:
    async def main() -> None:
        async with Simulator(port=0) as sim:
            assert sim.serving
            assert sim.url == f"ws://127.0.0.1:{sim.port}/api/ws"
            assert sim.port > 0
            client = await RawClient.connect(sim.url)
            counter = await client.lookup("Hardware.Registers.Counter")
            await client.call(Opcode.SUBSCRIBE, {0: [{0: counter, 1: [11]}]})
            await client.wait_events(1)
            sim.set_value("Hardware.Registers.Counter", 5)  # on the loop thread: direct
            events = await client.wait_events(2)
            assert events[-1].attributes == {11: 5}
            assert sim.get_value("Hardware.Registers.Counter") == 5
            sim.stall()
            sim.unstall()
            assert await client.call(Opcode.GET_STAGE) == 2
            await client.close()
        assert not sim.serving

    run(main())


def is_serving(sim: Simulator) -> bool:
    return sim.serving


def test_threaded_start_stop_and_restart() -> None:
    sim = Simulator()
    before = threading.active_count()
    sim.start()
    assert is_serving(sim) and threading.active_count() == before + 1
    with pytest.raises(RuntimeError):
        sim.start()
    with_client(sim, lambda c: c.call(Opcode.GET_STAGE))
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 5
    assert not is_serving(sim) and threading.active_count() == before
    sim.stop()  # idempotent
    sim.start()  # and it can serve again, with the same model state
    try:
        assert sim.request_count == 2
        with_client(sim, lambda c: c.call(Opcode.GET_STAGE))
    finally:
        sim.stop()


def test_stop_with_open_connections_is_quick(sim: Simulator) -> None:
    async def main() -> RawClient:
        client = await RawClient.connect(sim.url)
        fast = await client.lookup("Hardware.Fast Signals.Sine")
        await client.call(Opcode.SUBSCRIBE, {0: [{0: fast, 1: [11]}]})
        return client

    client = run(main())
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 4
    assert client.ws.close_code == 1001 or client.ws.close_code is None


def test_port_in_use_raises(sim: Simulator) -> None:
    other = Simulator(port=sim.port)
    with pytest.raises(OSError, match="in use"):
        other.start()


def test_models_from_path_and_dict(tmp_path: Path) -> None:
    with Simulator(str(demo_model_path())) as sim:
        assert len(sim.model) == 45
    with Simulator(generated_model(50)) as sim:
        assert len(sim.model) == 50
        assert sim.model.path == "<memory>"
