"""Malformed input: each gets an error answer and the connection lives on."""

from __future__ import annotations

import cbor2
import pytest

from xentara_sync.protocol import Failure, Opcode, Success, decode_message, encode
from xentara_sync.simulator import Simulator

from .conftest import with_client
from .rawclient import RawClient


async def answer_to(client: RawClient, data: bytes | str) -> list[object]:
    await client.send(data)
    packets = await client.responses()
    # the connection lives on
    assert await client.call(Opcode.GET_STAGE) == 2
    return list(packets)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe\x00",  # not CBOR
        b"",  # empty
        b"\x83\x00\x01",  # truncated array
        encode({0: 1}),  # not an outer array
        encode(5),
        encode("text"),
    ],
)
def test_unreadable_messages_get_one_parse_error_with_id_0(sim: Simulator, data: bytes) -> None:
    async def scenario(client: RawClient) -> None:
        packets = await answer_to(client, data)
        assert len(packets) == 1
        failure = packets[0]
        assert isinstance(failure, Failure)
        assert failure.message_id == 0 and failure.code == -32700 and failure.text

    with_client(sim, scenario)


def test_text_frame_gets_parse_error(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        packets = await answer_to(client, "[[0, 5, 8]]")
        assert len(packets) == 1
        assert isinstance(packets[0], Failure)
        assert (packets[0].message_id, packets[0].code) == (0, -32700)

    with_client(sim, scenario)


@pytest.mark.parametrize(
    ("packet", "message_id", "code"),
    [
        ([], 0, -32700),  # empty packet
        ("x", 0, -32700),  # not an array
        (["0", 5, 8], 0, -32700),  # packet type not an int
        ([0], 0, -32700),  # no message id
        ([0, "5", 8], 0, -32700),  # message id not an int
        ([0, 5], 5, -32700),  # no opcode
        ([0, 5, "8"], 5, -32700),  # opcode not an int
        ([0, 5, 8, 1], 5, -32600),  # parameters not a map
        ([0, 5, 8, {}, 1], 5, -32600),  # too many elements
        ([1, 5], 5, -32600),  # a success response sent to the server
        ([2, 5, {0: -1, 1: "x"}], 5, -32600),  # an error response sent to the server
        ([8, 0, {0: 1, 1: "x"}], 0, -32600),  # a broken event (not a request)
        ([5, 5, 8], 5, -32600),  # unknown packet type
    ],
)
def test_malformed_packets(sim: Simulator, packet: object, message_id: int, code: int) -> None:
    async def scenario(client: RawClient) -> None:
        packets = await answer_to(client, encode([packet, [0, 99, 8]]))
        assert len(packets) == 2
        failure = packets[0]
        assert isinstance(failure, Failure), failure
        assert (failure.message_id, failure.code) == (message_id, code)
        assert packets[1] == Success(99, 2)

    with_client(sim, scenario)


def test_bare_packet_is_misread_as_a_batch(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        packets = await answer_to(client, encode([0, 7, 8]))
        assert len(packets) == 3
        assert all(isinstance(p, Failure) and p.code == -32700 for p in packets)

    with_client(sim, scenario)


def test_empty_batch_gets_no_answer(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        await client.send(encode([]))
        await client.send(encode([[0, 3, 8]]))
        assert await client.responses() == [Success(3, 2)]

    with_client(sim, scenario)


def test_missing_parameters_get_specific_texts(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        answer = await client.request(Opcode.READ, {})
        assert isinstance(answer, Failure) and answer.code == -32602
        assert "element_uuid" in answer.text
        answer = await client.request(Opcode.SUBSCRIBE, {0: []})
        assert isinstance(answer, Failure) and answer.code == -32602
        assert "subscription_array" in answer.text

    with_client(sim, scenario)


def test_undecodable_tag_content_is_a_parse_error(sim: Simulator) -> None:
    async def scenario(client: RawClient) -> None:
        data = cbor2.dumps([[0, 4, 5, {0: cbor2.CBORTag(1001, "not a map")}]])
        packets = await answer_to(client, data)
        assert len(packets) == 1 and isinstance(packets[0], Failure)
        assert packets[0].code == -32700

    with_client(sim, scenario)


def test_decode_message_of_a_failure() -> None:
    # the wire form of a message-level error, as the tests above expect it
    assert decode_message(encode([[2, 0, {0: -32700, 1: "x"}]])) == [Failure(0, -32700, "x")]
