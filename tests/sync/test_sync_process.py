"""The blocking client in whole programs: Ctrl-C, exit without close, fork, the REPL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from xentara_sync.simulator import Simulator

OUTPUT = "Hardware.EtherCAT Bus.EL2624.Output 1"


def default_sigint() -> None:
    """In a child: Ctrl-C as an interactive shell gives it, even when this test runs
    in the background of a shell without job control (which ignores SIGINT for its
    children, and Python then installs no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


#: Put first in each program: on SIGUSR1 (POSIX), a traceback of every thread to
#: stderr, which :func:`finish` asks for before it kills a program that hung.
DUMP_ON_SIGUSR1 = (
    "import faulthandler as _fh, signal as _sg\n"
    "if hasattr(_sg, 'SIGUSR1'): _fh.register(_sg.SIGUSR1, all_threads=True)\n"
)


def python(code: str) -> subprocess.Popen[str]:
    """Start a Python program; the caller reads or waits for it."""
    return subprocess.Popen(
        [sys.executable, "-c", DUMP_ON_SIGUSR1 + textwrap.dedent(code)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint if os.name == "posix" else None,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if hasattr(signal, "SIGUSR1"):  # where each thread is, for the report
            proc.send_signal(signal.SIGUSR1)
            try:
                out, err = proc.communicate(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the program hung:\nstdout: {out}\nstderr: {err}")
    return proc.returncode, out, err


def test_import_starts_nothing() -> None:
    proc = python(
        """
        import sys, threading
        import xentara_sync
        assert threading.active_count() == 1, threading.enumerate()
        heavy = {"asyncio", "websockets", "trio", "xentara_sync.simulator", "xentara_sync.tools"}
        assert not heavy & set(sys.modules), heavy & set(sys.modules)
        print("ok")
        """
    )
    code, out, err = finish(proc)
    assert (code, out.strip(), err) == (0, "ok", "")


def test_ctrl_c_cancels_a_blocked_call_and_the_client_stays_usable() -> None:
    proc = python(
        f"""
        import sys
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator
        with Simulator() as sim, XentaraClient(sim.url) as client:
            sim.stall()
            print("blocked", flush=True)
            try:
                client.read({OUTPUT!r}, timeout=60)
            except KeyboardInterrupt:
                print("interrupted", flush=True)
            sim.unstall()
            print("after", client.read({OUTPUT!r}), flush=True)
        """
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "blocked"
    time.sleep(0.3)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert time.monotonic() - started < 10
    assert "interrupted" in out
    assert "after False" in out or "after True" in out
    assert code == 0, err


def test_ctrl_c_taken_by_another_thread_still_interrupts_a_blocked_call() -> None:
    # The kernel may hand a process's SIGINT to any thread that does not block it
    # (the package's own threads do: see the next test), a thread of the user's
    # included; Python then runs the handler in the main thread only when that thread
    # next runs Python code, so a blocking call waits in slices.
    proc = python(
        f"""
        import signal, threading, time
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator
        with Simulator() as sim, XentaraClient(sim.url) as client:
            sim.stall()
            calls = {{
                "read": lambda: client.read({OUTPUT!r}, timeout=30),
                "read_attributes": lambda: client.read_attributes({OUTPUT!r}, timeout=30),
            }}
            idle = threading.Event()
            user = threading.Thread(target=idle.wait, name="user", daemon=True)
            user.start()
            for name, call in calls.items():
                threading.Timer(0.3, signal.pthread_kill, (user.ident, signal.SIGINT)).start()
                started = time.monotonic()
                try:
                    call()
                except KeyboardInterrupt:
                    seconds = time.monotonic() - started
                    print(name, "interrupted", seconds < 3, flush=True)
            sim.unstall()
            print("after", client.read({OUTPUT!r}), flush=True)
        """
    )
    code, out, err = finish(proc, timeout=45)
    assert code == 0, err
    assert out.splitlines() == [
        "read interrupted True",
        "read_attributes interrupted True",
        out.splitlines()[-1],
    ], out
    assert out.splitlines()[-1] in ("after False", "after True")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/task")
def test_the_packages_threads_leave_ctrl_c_to_the_main_thread() -> None:
    """Every thread the client, a subscription's callbacks, a streamed recording and
    the simulator run blocks SIGINT, so the kernel hands Ctrl-C to the main thread:
    a main thread asleep (``time.sleep(60)`` in a recorder's block) slept on when it
    went to one of them (1 run in ~240 under load)."""
    proc = python(
        f"""
        import signal, threading, time, tempfile, os
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator

        def blocked(thread):
            with open(f"/proc/self/task/{{thread.native_id}}/status") as status:
                mask = next(l for l in status if l.startswith("SigBlk:")).split()[1]
            return bool(int(mask, 16) >> (signal.SIGINT - 1) & 1)

        path = os.path.join(tempfile.mkdtemp(), "run.csv")
        with Simulator() as sim, XentaraClient(sim.url) as client:
            client.read_attributes({OUTPUT!r})  # a look-up: the loop thread's executor
            with client.subscribe({OUTPUT!r}) as sub, client.recorder([{OUTPUT!r}], to=path):
                sub.add_callback(lambda event: None)
                time.sleep(0.3)
                threads = [t for t in threading.enumerate() if t is not threading.main_thread()]
                for thread in sorted(threads, key=lambda t: t.name):
                    print(thread.name.split(" to ")[0], blocked(thread))
                print("main", blocked(threading.main_thread()))
        """
    )
    code, out, err = finish(proc)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == "main False", out
    names = [line.rsplit(" ", 1)[0] for line in lines[:-1]]
    for name in ("xentara-sync-loop", "xentara-sync recording"):
        assert name in names, out
    assert len(lines) >= 5, out  # loop, callbacks, writer, simulator's threads
    assert all(line.endswith(" True") for line in lines[:-1]), out


def test_ctrl_c_at_any_point_of_a_call_is_never_lost_and_never_wedges() -> None:
    # A storm of KeyboardInterrupts, raised wherever the calling thread happens to
    # be: each must reach the caller (none swallowed, for instance by a C encoder
    # that ignores errors, or by asyncio's clean-up of a task), none may leave a
    # lock held that the loop thread needs, and the client must work afterwards.
    proc = python(
        f"""
        import signal, sys
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator
        ignored = []
        sys.unraisablehook = ignored.append
        raised = 0
        armed = False
        def interrupt(*_):
            # One per round: a second one could land in this script's own except
            # clause (Python 3.10 checks for signals between almost any two bytecodes).
            global raised, armed
            if armed:
                armed = False
                raised += 1
                raise KeyboardInterrupt
        completed = interrupted = lost = 0
        with Simulator() as sim, XentaraClient(sim.url) as client:
            sub = client.subscribe("Hardware.Fast Signals.Sine", maximum_update_interval=None)
            sub.start()
            calls = [
                lambda n: client.write("Hardware.Registers.Setpoint", float(n)),
                lambda n: client.read({OUTPUT!r}),
                lambda n: client.read_attributes({OUTPUT!r}, ["value", "quality"]),
                lambda n: sub.receive(timeout=5),
            ]
            signal.signal(signal.SIGALRM, interrupt)
            signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
            for n in range(3000):
                before = raised
                try:
                    armed = n % 2 == 1  # every other round runs undisturbed
                    first = n // 2 % len(calls)  # each kind of call gets hit first
                    for call in calls[first:] + calls[:first]:
                        call(n)
                    armed = False
                    if raised > before:  # one was raised and did not come through
                        lost += 1
                    else:
                        completed += 1
                except KeyboardInterrupt:
                    armed = False
                    interrupted += 1
            signal.setitimer(signal.ITIMER_REAL, 0)
            client.write("Hardware.Registers.Setpoint", 42.5)
            value = client.read("Hardware.Registers.Setpoint")
            sub.stop()
            print(completed, interrupted, lost, len(ignored), value)
        """
    )
    code, out, err = finish(proc, timeout=45)
    assert code == 0, err
    completed, interrupted, lost, ignored, value = out.split()
    assert int(interrupted) > 100, out  # the storm did hit the calls
    assert int(completed) >= 1500, out  # and the undisturbed ones all went through
    assert (lost, ignored) == ("0", "0"), err
    assert value == "42.5"
    assert err == ""  # no coroutine left unawaited, no task destroyed while pending


def test_a_script_that_never_closes_exits_promptly_and_quietly() -> None:
    proc = python(
        f"""
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator
        sim = Simulator()
        sim.start()
        client = XentaraClient(sim.url)
        other = client.copy()
        sub = client.subscribe("Hardware.Fast Signals.Sine", callback=lambda event: None)
        sub.start()
        iterated = other.subscribe("Hardware.Fast Signals.Saw-Tooth")
        iterated.start()
        print(client.read({OUTPUT!r}), flush=True)
        """
    )
    started = time.monotonic()
    code, out, err = finish(proc)
    assert time.monotonic() - started < 15
    assert out.strip() in ("True", "False")
    assert err == ""
    assert code == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_gets_a_clear_error_or_a_fresh_loop() -> None:
    proc = python(
        f"""
        import os, sys
        from xentara_sync import UsageError, XentaraClient
        from xentara_sync.simulator import Simulator
        with Simulator() as sim:
            client = XentaraClient(sim.url)
            client.read({OUTPUT!r})
            pid = os.fork()
            if pid == 0:
                try:
                    client.read({OUTPUT!r})
                except UsageError as exc:
                    print("child old client:", exc, flush=True)
                with XentaraClient(sim.url) as fresh:
                    print("child new client:", fresh.read({OUTPUT!r}), flush=True)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            print("parent:", client.read({OUTPUT!r}), os.waitstatus_to_exitcode(status), flush=True)
            client.close()
        """
    )
    code, out, err = finish(proc)
    assert code == 0, err
    assert "child old client: this client was created in another process" in out
    assert "child new client:" in out
    assert "parent:" in out
    assert out.strip().endswith(" 0")


def test_repl_session(simulator: Simulator) -> None:
    session = f"""
from xentara_sync import XentaraClient
client = XentaraClient({simulator.url!r})
client.write({OUTPUT!r}, True)
client[{OUTPUT!r}].read()
client
client.close()
"""
    proc = subprocess.Popen(
        [sys.executable, "-q", "-i"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    code, out, err = finish(proc_write(proc, session))
    assert code == 0, err
    assert "True" in out
    assert "<xentara_sync.XentaraClient ws://127.0.0.1" in out
    assert "Traceback" not in err


def proc_write(proc: subprocess.Popen[str], text: str) -> subprocess.Popen[str]:
    assert proc.stdin is not None
    proc.stdin.write(text)
    proc.stdin.close()
    proc.stdin = None
    return proc


def test_exit_ends_a_non_daemon_thread_iterating_a_subscription() -> None:
    proc = python(
        """
        import threading
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator
        sim = Simulator()
        sim.start()
        client = XentaraClient(sim.url)
        started = threading.Event()

        def watch():
            with client.subscribe("Hardware.Fast Signals.Sine", 0, 0) as sub:
                for event in sub:
                    started.set()
            print("iteration ended", flush=True)

        threading.Thread(target=watch).start()  # not a daemon
        assert started.wait(10)
        print("main ends", flush=True)
        """
    )
    started = time.monotonic()
    code, out, err = finish(proc)
    assert time.monotonic() - started < 15
    assert out.split() == ["main", "ends", "iteration", "ended"]
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    "wait",
    [
        "client.read(OUTPUT, timeout=60)",
        "client.metadata('Hardware.Registers.Setpoint', timeout=60)",
        "client.subscribe('Hardware.Registers.Setpoint', 0, 0).receive(timeout=60)",
    ],
    ids=["read", "coroutine path", "receive"],
)
def test_exit_ends_daemon_threads_in_blocking_calls_quietly(wait: str) -> None:
    proc = python(
        f"""
        import threading, time
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator
        OUTPUT = {OUTPUT!r}
        sim = Simulator()
        sim.start()
        client = XentaraClient(sim.url)
        sub = client.subscribe('Hardware.Registers.Setpoint', 0, 0)
        sub.start()
        sub.receive(timeout=10)  # the initial event: nothing comes after it
        if "read" in {wait!r} or "metadata" in {wait!r}:
            sim.stall()
        waiting = threading.Event()

        def wait():
            waiting.set()
            {wait if "receive" not in wait else "sub.receive(timeout=60)"}

        threading.Thread(target=wait, daemon=True).start()
        assert waiting.wait(10)
        time.sleep(0.3)  # well inside the call
        print("main ends", flush=True)
        """
    )
    started = time.monotonic()
    code, out, err = finish(proc)
    assert time.monotonic() - started < 15
    assert out.strip() == "main ends"
    assert (code, err) == (0, "")


def test_exit_while_the_server_is_frozen_takes_at_most_half_a_second() -> None:
    proc = python(
        """
        from urllib.parse import urlsplit
        from xentara_sync.simulator.faults import Relay
        from xentara_sync import XentaraClient
        from xentara_sync.simulator import Simulator
        sim = Simulator()
        sim.start()
        relay = Relay(urlsplit(sim.url).port).__enter__()
        client = XentaraClient(f"ws://127.0.0.1:{relay.port}/api/ws")
        client.read("Hardware.EtherCAT Bus.EL2624.Output 1")
        relay.freeze()  # the closing handshake gets no answer
        print("main ends", flush=True)
        """
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "main ends"
    started = time.monotonic()
    code, _, err = finish(proc)
    assert time.monotonic() - started < 1.5  # 0.5 s for the handshake, the rest is Python
    assert (code, err) == (0, "")
