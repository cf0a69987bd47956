"""Dead-letter spool and replay: a mapping mistake costs a model fix and one command, no data.

The service appends every dead letter it publishes to a JSON-lines spool file (the same JSON
as the dead-letter payload). `uns replay` reads it back, filters by reason and time, and either
dry-runs the messages through a (fixed) local model to show what would now happen, or
republishes the original topic and payload to the broker so the running service takes them
again. A spool file is also what `mosquitto_sub -t '<enterprise>/_deadletter/#'` prints, so
dead letters captured by any subscriber can be replayed the same way.

Replay is faithful: each republished message carries its original arrival time and, for a
batch, the names of the values that failed (MQTT 5 user properties, `uns.delivery`), so the
service joins shift and batch at the original time and does not publish the good values of
the batch again. A journal (`<spool>.replayed`) records what was republished: a second run
skips it unless asked (`--again`).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from uns.errors import UnsError


@dataclass(frozen=True, slots=True)
class DeadLetter:
    reason: str
    topic: str
    payload: bytes
    received: str  # ISO-8601 UTC as published
    detail: str
    line: int  # in the spool file
    values: tuple[str, ...] | None = None  # of a batch: only these failed
    key: str = ""  # the spool line's digest: what the replay journal records
    excerpt_sha256: str | None = None  # the spool holds only an excerpt of this payload


def _received_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def parse_spool(
    lines: Iterable[bytes | str],
    source: str = "spool",
    excerpts: list[DeadLetter] | None = None,
) -> Iterator[DeadLetter]:
    """Dead letters from JSON lines; a line that is not one raises UnsError naming it.

    A line holding only an excerpt of its payload raises too, or goes to `excerpts` when given.
    """
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            continue
        try:
            doc = orjson.loads(text)
            if doc.get("payload_encoding") == "utf-8-excerpt":  # too large to keep whole
                sha256 = str(doc.get("payload_sha256"))
                if excerpts is None:
                    raise UnsError(
                        f"{source}:{number}: holds only an excerpt of the raw payload "
                        f"(sha256 {sha256}); replay it from the spool"
                    )
                excerpts.append(
                    DeadLetter(
                        str(doc["reason"]),
                        str(doc["topic"]),
                        b"",
                        str(doc.get("received", "")),
                        str(doc.get("detail", "")),
                        number,
                        excerpt_sha256=sha256,
                    )
                )
                continue
            payload = doc["payload"]
            data = (
                base64.b64decode(payload, validate=True)
                if doc.get("payload_encoding") == "base64"
                else payload.encode()
            )
            yield DeadLetter(
                reason=str(doc["reason"]),
                topic=str(doc["topic"]),
                payload=data,
                received=str(doc.get("received", "")),
                detail=str(doc.get("detail", "")),
                line=number,
                values=_names(doc.get("values")),
                key=hashlib.sha256(text if isinstance(text, bytes) else text.encode()).hexdigest(),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UnsError(f"{source}:{number}: not a dead letter ({exc!r})") from None


def _names(values: object) -> tuple[str, ...] | None:
    if values is None:
        return None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("values is not a list of names")
    return tuple(values)


def select(
    letters: Iterable[DeadLetter],
    reasons: set[str] | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> Iterator[DeadLetter]:
    for letter in letters:
        if reasons and letter.reason not in reasons:
            continue
        if since_ms is not None or until_ms is not None:
            try:
                at = _received_ms(letter.received)
            except ValueError:
                continue  # no usable time: a time filter cannot admit it
            if since_ms is not None and at < since_ms:
                continue
            if until_ms is not None and at >= until_ms:
                continue
        yield letter


class Spool:
    """Append-only JSON lines with one rotation (`<file>.1`) at a size limit."""

    def __init__(self, path: str | Path, max_bytes: int = 100 * 1024 * 1024) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, payload: bytes) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size + len(payload) + 1 > self.max_bytes and size > 0:
            os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        with self.path.open("ab") as f:
            f.write(payload + b"\n")


class ReplayJournal:
    """What was republished: one spool-line digest a line, appended as each is acknowledged,
    so that a second run (or one after an interruption) skips what already went out."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.done = set(self.path.read_text(encoding="ascii").split())
        except FileNotFoundError:
            self.done = set()
        except (OSError, UnicodeDecodeError) as exc:
            raise UnsError(f"cannot read the replay journal {self.path}: {exc}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.done

    def record(self, key: str) -> None:
        with self.path.open("a", encoding="ascii") as f:
            f.write(key + "\n")
        self.done.add(key)
