"""Rejections -> dead-letter messages (the raw payload kept, as text or base64)."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from uns.model.namespace import Namespace
from uns.normalize.timestamps import format_utc_ms
from uns.pipeline.outputs import Outgoing, Rejection

_MOST_DETAILS = 20  # values named in one dead letter; the rest are counted


class DeadLetters:
    """Builds dead-letter messages under the namespace's dead-letter branch."""

    def __init__(self, ns: Namespace, revision: str | None = None) -> None:
        self.ns = ns
        self.revision = revision
        self._topics: dict[str, str] = {}

    def message(
        self,
        topic: str,
        payload: bytes,
        received_ms: int,
        rejection: Rejection,
        binding: str | None = None,
        *,
        values: list[str] | None = None,
    ) -> Outgoing:
        """The dead-letter message for a raw message that cannot be placed; `values`: the
        names of the values of a batch that failed (replay takes only those)."""
        reason = rejection.reason
        body: dict[str, Any] = {
            "reason": reason,
            "detail": rejection.detail,
            "topic": topic,
            "received": format_utc_ms(received_ms),
            "binding": binding,
            "model": self.revision,
        }
        if values is not None:
            body["values"] = values
        try:
            body["payload"] = payload.decode("utf-8")
            body["payload_encoding"] = "utf-8"
        except UnicodeDecodeError:
            body["payload"] = base64.b64encode(payload).decode("ascii")
            body["payload_encoding"] = "base64"
        dl_topic = self._topics.get(reason)
        if dl_topic is None:
            dl_topic = self._topics[reason] = str(self.ns.deadletter_topic(reason))
        return Outgoing(dl_topic, orjson.dumps(body), False, "deadletter", reason)

    def per_reason(
        self,
        topic: str,
        payload: bytes,
        received_ms: int,
        failed: dict[str, list[str]],
        binding: str | None = None,
        *,
        values: dict[str, list[str]] | None = None,
    ) -> list[Outgoing]:
        """One dead letter per reason for a message whose values failed in several ways."""
        out = []
        for reason, details in failed.items():
            detail = "; ".join(details[:_MOST_DETAILS])
            if len(details) > _MOST_DETAILS:
                detail += f"; ... {len(details) - _MOST_DETAILS} more"
            rejection = Rejection(reason, detail)
            names = None if values is None else values.get(reason)
            out.append(self.message(topic, payload, received_ms, rejection, binding, values=names))
        return out
