"""Sparkplug B 3.0, as a host application reads it. Pure code: no MQTT, no asyncio.

By concern, lowest first:

- `topic`: the topic namespace -> `SparkplugTopic` with its `SparkplugAddress`;
- `datatypes`: the datatype codes and each scalar/array datatype's wire form, both ways;
- `payload`: the decoded values; `decode` and `encode`: protobuf payloads (with
  `compression`); `sparkplug_b_pb2` is generated from `sparkplug_b.proto` by
  `regen_sparkplug`;
- `state`: host application STATE messages;
- `seq`, `samples`, `host`: the state a host keeps on top (birth caches, aliases, seq and
  bdSeq, deaths, rebirth requests), clock-injected.
"""

from uns.sparkplug.compression import COMPRESSED_UUID, MAX_DECOMPRESSED_BYTES
from uns.sparkplug.datatypes import DataType
from uns.sparkplug.decode import decode_payload, require_fast_protobuf
from uns.sparkplug.encode import REBIRTH_METRIC, encode_payload, rebirth_request
from uns.sparkplug.host import NodeInfo, SparkplugHost, sparkplug_subscriptions
from uns.sparkplug.payload import (
    DatatypeResolver,
    SparkplugMetaData,
    SparkplugMetric,
    SparkplugParameter,
    SparkplugPayload,
    SparkplugTemplate,
)
from uns.sparkplug.samples import HostActions, MetricSample, Quality, sparkplug_quality
from uns.sparkplug.state import encode_state, parse_state
from uns.sparkplug.topic import (
    NAMESPACE,
    MessageType,
    SparkplugAddress,
    SparkplugTopic,
    SparkplugTopicError,
    parse_sparkplug_topic,
)

__all__ = [
    "COMPRESSED_UUID",
    "MAX_DECOMPRESSED_BYTES",
    "NAMESPACE",
    "REBIRTH_METRIC",
    "DataType",
    "DatatypeResolver",
    "HostActions",
    "MessageType",
    "MetricSample",
    "NodeInfo",
    "Quality",
    "SparkplugAddress",
    "SparkplugHost",
    "SparkplugMetaData",
    "SparkplugMetric",
    "SparkplugParameter",
    "SparkplugPayload",
    "SparkplugTemplate",
    "SparkplugTopic",
    "SparkplugTopicError",
    "decode_payload",
    "encode_payload",
    "encode_state",
    "parse_sparkplug_topic",
    "parse_state",
    "rebirth_request",
    "require_fast_protobuf",
    "sparkplug_quality",
    "sparkplug_subscriptions",
]
