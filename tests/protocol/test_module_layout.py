"""The codec's modules: every name that codec.py held stays importable from there."""

from __future__ import annotations

import importlib

import pytest

# Every name that xentara_sync.protocol.codec defined before it was split into modules.
CODEC_NAMES = [
    "AttributeFault",
    "DataChange",
    "ErrorCode",
    "EventType",
    "Failure",
    "Packet",
    "PacketType",
    "ProtocolError",
    "Request",
    "Success",
    "TAG_DECIMAL_FRACTION",
    "TAG_EPOCH",
    "TAG_FAULT",
    "TAG_PASSWORD",
    "TAG_TIME",
    "TAG_UUID",
    "TAG_VALUE",
    "TimePoint",
    "_ENCODERS",
    "_EPOCH",
    "_INT64_MAX",
    "_INT64_MIN",
    "_MESSAGE_IDS",
    "_NS_PER_S",
    "_ONE_ATTRIBUTE",
    "_SEMANTIC_DECODERS",
    "_U16",
    "_decode_epoch",
    "_decode_time",
    "_decoders",
    "_encode_datetime",
    "_encode_default",
    "_encode_fault",
    "_encode_time_point",
    "_error_map",
    "_head",
    "_int",
    "_packet_error",
    "_packet_to_wire",
    "_parse_error",
    "_parse_event",
    "_small_int",
    "decode",
    "decode_message",
    "encode",
    "encode_message",
    "encode_packet",
    "encode_read",
    "encode_request",
    "fault",
    "join_packets",
    "parse_packet",
    "unwrap",
    "unwrap_attributes",
    "wrap",
]

MODULES = ["cbor", "codec", "framing", "packets", "quoting", "tags", "timepoint", "values"]


@pytest.mark.parametrize("name", CODEC_NAMES)
def test_codec_keeps_its_names(name: str) -> None:
    codec = importlib.import_module("xentara_sync.protocol.codec")
    assert hasattr(codec, name)


@pytest.mark.parametrize("module", MODULES)
def test_public_names_of_each_module_exist(module: str) -> None:
    loaded = importlib.import_module(f"xentara_sync.protocol.{module}")
    for name in loaded.__all__:
        assert hasattr(loaded, name), name


def test_the_codec_names_are_the_same_objects_as_in_the_package() -> None:
    codec = importlib.import_module("xentara_sync.protocol.codec")
    package = importlib.import_module("xentara_sync.protocol")
    for name in codec.__all__:
        assert getattr(codec, name) is getattr(package, name), name
