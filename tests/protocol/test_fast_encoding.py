"""The hand-framed encoders give exactly the bytes of the general encoder."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from xentara_sync.protocol import (
    Request,
    decode_message,
    encode_message,
    encode_packet,
    encode_read,
    encode_request,
    join_packets,
)

message_ids = st.integers(min_value=0, max_value=2**64 - 1)
attributes = st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=20)
elements = st.uuids()


@given(message_ids, elements, attributes)
def test_encode_read_matches_the_general_encoder(
    message_id: int, element: uuid.UUID, wanted: list[int]
) -> None:
    fast = encode_read(message_id, element, wanted)
    assert fast == encode_packet(Request(message_id, 4, {0: element, 1: wanted}))


@given(message_ids, elements, attributes)
def test_encode_request_takes_the_fast_path_for_reads(
    message_id: int, element: uuid.UUID, wanted: list[int]
) -> None:
    request = Request(message_id, 4, {0: element, 1: wanted})
    assert encode_request(*request) == encode_packet(request)


@given(st.lists(st.tuples(message_ids, elements, attributes), max_size=300))
def test_joined_packets_decode_as_one_message(
    reads: list[tuple[int, uuid.UUID, list[int]]],
) -> None:
    requests = [Request(m, 4, {0: e, 1: a}) for m, e, a in reads]
    message = join_packets([encode_read(m, e, a) for m, e, a in reads])
    assert message == encode_message(requests)
    assert decode_message(message) == requests


def test_other_requests_take_the_general_path() -> None:
    element = uuid.UUID(int=7)
    for request in (
        Request(1, 4, {0: element, 1: [uuid.UUID(int=11)]}),  # attribute by UUID
        Request(2, 5, {0: element, 1: 11, 2: 1.5}),  # a write
        Request(3, 8),  # no parameters
        Request(-4, 4, {0: element, 1: [11]}),  # an id CBOR encodes as negative
    ):
        assert encode_request(*request) == encode_packet(request)
