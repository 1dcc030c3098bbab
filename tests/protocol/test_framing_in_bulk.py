"""Requests framed at once by C loops (``frame_requests``): the bytes of each
request encoded alone, whatever the message ids' widths, the attribute lists and
their sharing; bad arguments fail as before."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentara_sync.protocol import Opcode, encode_request, frame_requests

LISTS = [[11], [11, 3, 9], [2], [3], [], [23, 24], [300, 11]]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.integers(0, 0xFF),
                st.integers(0x100, 0xFFFF),
                st.integers(0x10000, 0xFFFF_FFFF),
                st.integers(0, 2**64 - 1),
            ),
            st.uuids(),
            st.integers(0, len(LISTS) - 1),
        ),
        max_size=40,
    ),
    st.sampled_from([Opcode.READ, Opcode.META_DATA]),
)
def test_framed_requests_are_the_bytes_of_each_request(
    requests: list[tuple[int, uuid.UUID, int]], opcode: Opcode
) -> None:
    ids = [message_id for message_id, _, _ in requests]
    elements = [element for _, element, _ in requests]
    wanted = [LISTS[n] for _, _, n in requests]  # shared list objects, as a chunk's
    framed = frame_requests(ids, int(opcode), elements, wanted)
    assert framed == b"".join(
        encode_request(n, int(opcode), {0: e, 1: w})
        for n, e, w in zip(ids, elements, wanted, strict=True)
    )


def test_many_distinct_lists_are_framed_and_the_templates_stay_bounded() -> None:
    from xentara_sync.protocol import framing

    lists = [[n % 24] for n in range(200)]  # 200 list objects: more than the cache holds
    elements = [uuid.UUID(int=n) for n in range(200)]
    ids = list(range(70_000, 70_200))
    framed = frame_requests(ids, int(Opcode.READ), elements, lists)
    assert framed == b"".join(
        encode_request(n, int(Opcode.READ), {0: e, 1: w})
        for n, e, w in zip(ids, elements, lists, strict=True)
    )
    frame_requests([1], int(Opcode.READ), elements[:1], lists[:1])
    assert len(framing._TAILS) <= 64


def test_framing_lists_of_different_lengths_fails() -> None:
    with pytest.raises(ValueError, match="as many"):
        frame_requests([1, 2], int(Opcode.READ), [uuid.UUID(int=1)], [[11]])
