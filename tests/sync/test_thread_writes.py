"""The blocking client's calling thread writes its reads itself (no wake-up of the
loop thread per request), and the socket's byte stream stays whole whatever happens:
a socket that takes only part of a message, several threads, a Ctrl-C at any point.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

from tests.sync.test_sync_process import finish, python
from xentara_sync import ConnectionClosed, RequestTimeout, XentaraClient
from xentara_sync.aio import backend
from xentara_sync.simulator import Simulator, generated_model

pytestmark = pytest.mark.skipif(
    not backend.FAST_PATH, reason="only the asyncio shortcuts let a thread write (fastpath.py)"
)

SETPOINT = "Hardware.Registers.Setpoint"


def spy_on_writes(client: XentaraClient) -> list[tuple[int, bool]]:
    """Record ``(thread id, written)`` for each write a calling thread tries."""
    session = client.session
    assert session is not None
    original = session.write_now
    assert original is not None, "a plain ws:// connection offers writes from threads"
    calls: list[tuple[int, bool]] = []

    def write(message: bytes) -> bool:
        written = original(message)
        calls.append((threading.get_ident(), written))
        return written

    session.write_now = write
    return calls


def websocket(client: XentaraClient) -> Any:
    """The client's websockets connection (a DirectConnection)."""
    return client._async._transport._ws  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def many_points() -> Iterator[tuple[str, list[str]]]:
    """A simulator with 3,000 registers, and their keys."""
    model = generated_model(3_100)
    keys = [
        f"Hardware.{group['@Group']['name']}.{point[next(iter(point))]['name']}"
        for group in model["children"][0]["@Group"]["children"]
        for point in group["@Group"]["children"]
    ][:3_000]
    with Simulator(model) as sim:
        yield sim.url, keys


def test_a_read_is_written_by_the_thread_that_calls() -> None:
    with Simulator() as sim, XentaraClient(sim.url) as client:
        client.read(SETPOINT)
        calls = spy_on_writes(client)
        for n in range(20):
            client.write(SETPOINT, float(n))  # a cbor2-encoded write: the loop's
            assert client.read(SETPOINT) == float(n)
        main = threading.get_ident()
        assert calls == [(main, True)] * 20


def test_threads_calling_together_share_the_loops_messages() -> None:
    with Simulator() as sim, XentaraClient(sim.url) as client:
        client.read(SETPOINT)
        calls = spy_on_writes(client)
        client.write(SETPOINT, 7.5)
        results: list[Any] = []
        start = threading.Barrier(4)

        def reader() -> None:
            start.wait(timeout=10)
            results.extend(client.read(SETPOINT) for _ in range(100))

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert results == [7.5] * 400
        # While other threads are in a call, a read joins the loop's next message.
        assert len(calls) < 200, len(calls)


def test_a_message_the_socket_takes_in_part_is_finished_by_the_loop(
    many_points: tuple[str, list[str]],
) -> None:
    url, keys = many_points
    with XentaraClient(url, timeout=30) as client:
        expected = client.read_many(keys)  # through the loop
        ws = websocket(client)
        # A small send buffer: the socket takes a 100 kB message a few kB at a time.
        ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2048)
        rests: list[int] = []
        send_data = ws.send_data

        def finishing() -> None:
            if ws._rest is not None:
                rests.append(len(ws._rest))
            send_data()

        ws.send_data = finishing
        calls = spy_on_writes(client)
        for _ in range(3):
            assert client.read_many(keys) == expected
            assert client.read(keys[0]) == expected[keys[0]]
        assert (threading.get_ident(), True) in calls
        assert rests, "the socket took each message whole: the test proves nothing"
        assert client.reconnects == 0


def test_ctrl_c_while_messages_leave_in_parts_keeps_the_stream_whole(
    many_points: tuple[str, list[str]],
) -> None:
    # KeyboardInterrupts raised wherever the calling thread is, while most of its
    # messages leave in parts: an interrupted write must still finish (by the loop),
    # or the server would read garbage and drop the connection.
    url, keys = many_points
    proc = python(
        f"""
        import signal, socket
        from xentara_sync import ConnectionClosed, RequestTimeout, XentaraClient
        keys = {keys[:400]!r}
        armed = False
        def interrupt(*_):
            global armed
            if armed:
                armed = False
                raise KeyboardInterrupt
        interrupted = completed = 0
        with XentaraClient({url!r}, timeout=30) as client:
            expected = client.read_many(keys)
            ws = client._async._transport._ws
            sock = ws.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2048)
            signal.signal(signal.SIGALRM, interrupt)
            signal.setitimer(signal.ITIMER_REAL, 0.0003, 0.0003)
            for n in range(600):
                try:
                    armed = n % 2 == 1
                    result = client.read_many(keys)
                    armed = False
                    assert result == expected
                    completed += 1
                except KeyboardInterrupt:
                    armed = False
                    interrupted += 1
            signal.setitimer(signal.ITIMER_REAL, 0)
            assert client.read_many(keys) == expected
            print(completed, interrupted, client.reconnects)
        """
    )
    code, out, err = finish(proc, timeout=90)
    assert code == 0, err
    completed, interrupted, reconnects = map(int, out.split())
    assert interrupted > 20, out  # the interrupts did hit
    assert completed >= 300, out
    assert reconnects == 0, out  # the connection never broke


def test_ctrl_c_just_as_the_socket_took_part_of_a_message_keeps_the_stream_whole(
    many_points: tuple[str, list[str]],
) -> None:
    # The narrowest window: a KeyboardInterrupt raised as the socket's send returns
    # (here from a profile hook, right after the call that sent). What the socket did
    # not take must still be written, or the server reads the next message as the
    # rest of this one.
    url, keys = many_points
    with XentaraClient(url, timeout=30) as client:
        expected = client.read_many(keys)
        ws = websocket(client)
        ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2048)
        calls = spy_on_writes(client)
        hits: list[list[int]] = []

        def interrupt_after_send(frame: Any, event: str, arg: Any) -> None:
            if (
                event == "c_return"
                and getattr(arg, "__name__", "") == "extend"
                and frame.f_code.co_name == "write_from_thread"
                and not hits
            ):
                hits.append(frame.f_locals["sent"])
                sys.setprofile(None)
                raise KeyboardInterrupt

        sys.setprofile(interrupt_after_send)
        try:
            with pytest.raises(KeyboardInterrupt):
                client.read_many(keys)
        finally:
            sys.setprofile(None)
        assert hits and hits[0] and hits[0][0] < len(keys) * 20, hits  # sent, in part
        for _ in range(3):
            assert client.read_many(keys) == expected
        assert client.reconnects == 0
        assert calls[-1] == (threading.get_ident(), True)  # and writes from the thread again


def test_over_tls_the_loop_writes_every_request() -> None:
    # A thread may not write a TLS connection's socket (the TLS records are the
    # loop's): reads take the loop, at no cost of a write tried first.
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with Simulator(ssl=context) as sim, XentaraClient(sim.url, verify_ssl=False) as client:
        assert client.session is not None and client.session.write_now is None
        client.write(SETPOINT, 2.5)
        assert [client.read(SETPOINT) for _ in range(5)] == [2.5] * 5


def test_reads_from_a_thread_across_lost_connections_fail_or_answer_never_hang() -> None:
    # The server drops every connection while a thread reads without pause: each
    # read answers or raises a connection error at once, and once the client is back
    # its thread writes its reads again, on the new connection.
    with Simulator() as sim, XentaraClient(sim.url, timeout=5) as client:
        client.write(SETPOINT, 4.5)
        outcomes: dict[str, int] = {}
        stop = threading.Event()

        def reader() -> None:
            while not stop.is_set():
                try:
                    value = client.read(SETPOINT)
                    kind = "answer" if value == 4.5 else f"wrong {value!r}"
                except (ConnectionClosed, RequestTimeout) as exc:
                    kind = type(exc).__name__
                outcomes[kind] = outcomes.get(kind, 0) + 1

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            for _ in range(3):
                time.sleep(0.3)
                before = client.reconnects
                sim.disconnect_all()
                deadline = time.monotonic() + 10
                while client.reconnects == before and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert client.reconnects > before, "the client did not reconnect"
            time.sleep(0.3)
        finally:
            stop.set()
            thread.join(timeout=10)
        assert not thread.is_alive()
        assert outcomes.get("answer", 0) > 100, outcomes
        assert not [k for k in outcomes if k.startswith("wrong")], outcomes
        assert "RequestTimeout" not in outcomes, outcomes  # an answer lost on the way
        calls = spy_on_writes(client)  # the session of the last connection
        assert client.read(SETPOINT) == 4.5
        assert calls == [(threading.get_ident(), True)]
