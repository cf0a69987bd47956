"""Sparkplug B host behaviour: birth caches, seq and bdSeq tracking, stale marking, rebirths.

The wire format (topics, protobuf payloads, STATE JSON) lives in `uns.codec.sparkplug`; this
package is the state a host application keeps on top of it, pure and clock-injected.
"""

from uns.sparkplug.host import NodeInfo, SparkplugHost, sparkplug_subscriptions
from uns.sparkplug.samples import HostActions, MetricSample, Quality, sparkplug_quality

__all__ = [
    "HostActions",
    "MetricSample",
    "NodeInfo",
    "Quality",
    "SparkplugHost",
    "sparkplug_quality",
    "sparkplug_subscriptions",
]
