"""The exception hierarchy.

Startup errors (bad settings, bad model) are exceptions raised early and printed by the CLI;
`ModelError` lives beside `Problem` in `uns.model.problem`, so this module imports nothing.
Per-message failures are values (`Rejected`) in the pipeline; the codecs raise `DecodeError`
with a stable reason code that becomes the dead-letter reason.
"""

from __future__ import annotations


def excerpt(value: object, limit: int = 80) -> str:
    """`repr(value)` cut to `limit` characters: error details quote raw input, never all of it."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class UnsError(Exception):
    """Base of every error this package raises on purpose."""


class TopicError(UnsError, ValueError):
    """A bad topic string, topic filter or topic template."""


class DecodeError(UnsError):
    """A payload, value, timestamp or quality that cannot be decoded.

    `reason` is a short stable snake_case code (`bad_json`, `bad_timestamp`, ...) used as the
    dead-letter reason and metric label; the message is the human-readable detail.
    """

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


class UnitError(UnsError, ValueError):
    """An unknown engineering unit or an impossible conversion."""


class ModelsNotFoundError(UnsError):
    """The models directory (or file) does not exist: one message for every command."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: no such file or directory")


class SettingsError(UnsError):
    """Bad service settings (broker URL, credentials file, ...)."""


class TransportError(UnsError):
    """The MQTT transport failed (connect refused, lost connection, publish not acknowledged)."""
