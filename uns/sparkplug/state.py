"""Sparkplug 3.0 host application STATE messages on `spBv1.0/STATE/{host_id}`.

A primary host connects with the Will `{"online": false, "timestamp": T}` (retained, QoS 1)
on its STATE topic, publishes `{"online": true, "timestamp": T}` there (retained, QoS 1, the
same T: edge nodes pair the birth and the Will by it) once it has subscribed, and publishes
the offline message itself before a clean disconnect. `SparkplugHost.state_*` builds this
host's messages; `parse_state` reads anyone's STATE.
"""

from __future__ import annotations

import json
from typing import Final

from uns.errors import DecodeError, SettingsError

__all__ = ["STATE_QOS", "check_host_id", "encode_state", "parse_state"]

_STATE_REASON: Final = "bad_sparkplug_state"
STATE_QOS: Final = 1  # and always retained


def parse_state(data: bytes) -> tuple[bool, int | None]:
    """Read a host application's STATE payload: (online, timestamp ms or None).

    Sparkplug 3.0 sends JSON `{"online": bool, "timestamp": ms}`; the plain `ONLINE` /
    `OFFLINE` of Sparkplug 2.2 is accepted too. Raises DecodeError("bad_sparkplug_state").
    """
    stripped = data.strip()
    if stripped in (b"ONLINE", b"OFFLINE"):
        return stripped == b"ONLINE", None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise DecodeError(_STATE_REASON, f"STATE payload is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise DecodeError(_STATE_REASON, "STATE payload is not a JSON object")
    online = doc.get("online")
    if type(online) is not bool:
        raise DecodeError(_STATE_REASON, f"STATE 'online' is {online!r}, not a boolean")
    timestamp = doc.get("timestamp")
    if timestamp is not None and (type(timestamp) is not int or timestamp < 0):
        raise DecodeError(_STATE_REASON, f"STATE 'timestamp' is {timestamp!r}, not epoch ms")
    return online, timestamp


def encode_state(online: bool, timestamp_ms: int) -> bytes:
    """A Sparkplug 3.0 STATE payload."""
    return json.dumps({"online": online, "timestamp": timestamp_ms}).encode()


def check_host_id(host_id: str) -> str:
    """`host_id` if it can be a topic level of its own, else SettingsError."""
    if not host_id or any(c in host_id for c in "/+#"):
        raise SettingsError(f"Sparkplug host id {host_id!r} must be non-empty without / + #")
    return host_id
