"""One undecodable value in a message fails its own packet alone."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest

from tests.conftest import OUTPUTS
from tests.flavours import FLAVOURS, Flavour
from xentara_sync.exceptions import ProtocolError
from xentara_sync.protocol import decode, encode
from xentara_sync.simulator import Simulator
from xentara_sync.simulator.faults import Proxy

#: Values no Xentara answer may hold, and what the error must name.
BAD_VALUES: dict[str, tuple[Any, str]] = {
    "bignum": (2**70, "bignum"),
    "broken UUID": (cbor2.CBORTag(37, b"\x01\x02"), "tag 37 must hold 16 bytes, not b'\\x01\\x02'"),
}


def spoil_second_answer(bad: Any, spoiled: list[int]) -> Any:
    """A rewrite that puts *bad* into the second answer of a message of two or more
    (once, after the client connected: *spoiled* is not empty), and then adds that
    answer's message id to *spoiled*."""

    def rewrite(message: bytes) -> bytes:
        packets = decode(message)
        if len(packets) < 2 or len(spoiled) != 1:
            return message
        packets[1] = [packets[1][0], packets[1][1], bad]
        spoiled.append(packets[1][1])
        return encode(packets)

    return rewrite


@pytest.mark.parametrize("flavour", FLAVOURS, ids=str)
@pytest.mark.parametrize("kind", BAD_VALUES)
def test_a_bad_value_fails_its_own_request_alone(
    simulator: Simulator, flavour: Flavour, kind: str
) -> None:
    bad, named = BAD_VALUES[kind]
    spoiled: list[int] = []  # "connected" and the id of the spoiled answer
    with Proxy(simulator.url, spoil_second_answer(bad, spoiled)) as proxy:

        async def main() -> list[Any]:
            async with flavour.XentaraClient(proxy.url, timeout=20) as client:
                await client.read(OUTPUTS[0])  # every key known: each read is one request
                spoiled.append(0)

                async def read(key: str) -> Any:
                    try:
                        return await client.read(key)
                    except ProtocolError as exc:
                        return exc

                for _ in range(10):  # until concurrent reads shared a message
                    results = await flavour.gather(*(lambda k=k: read(k) for k in OUTPUTS))
                    if len(spoiled) > 1:
                        return results
                raise AssertionError("the reads never shared a message")

        results = flavour.run(main)
    errors = [r for r in results if isinstance(r, ProtocolError)]
    assert len(errors) == 1, results
    assert named in str(errors[0])
    assert all(isinstance(r, bool) for r in results if r is not errors[0]), results
