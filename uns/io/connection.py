"""What every broker connection needs: reconnect backoff and the TLS context."""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Callable, Iterable

from uns.config.broker import BrokerSettings
from uns.errors import SettingsError

log = logging.getLogger(__name__)


def backoff_delay(
    attempt: int, minimum: float, maximum: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before reconnect `attempt` (0-based): doubling from `minimum`, capped at
    `maximum`, jittered over the upper half so that many clients do not reconnect in step."""
    cap = min(maximum, minimum * 2.0 ** min(attempt, 64))
    return max(minimum, cap / 2 + rand() * cap / 2)


def ssl_context(settings: BrokerSettings) -> ssl.SSLContext | None:
    """A verifying client context from the settings' files, or None without TLS."""
    if not settings.tls:
        return None
    try:
        context = ssl.create_default_context(cafile=settings.ca_file)
        if settings.cert_file:
            # An empty key password fails fast instead of OpenSSL prompting on a terminal.
            context.load_cert_chain(settings.cert_file, settings.key_file, password=b"")
    except (OSError, ssl.SSLError) as exc:
        raise SettingsError(f"TLS files for {settings.host}: {exc}") from exc
    context.check_hostname = settings.verify_hostname
    return context


SESSION_TAKEN_OVER = 0x8E  # DISCONNECT reason: another connection with our client id


def takeover_hint(client_id: str) -> str:
    return (
        f"client id {client_id!r} is in use by another connection: the broker drops one of "
        "them whenever the other connects (two `uns run` with the same id kick each other "
        "off); give each instance its own --client-id or broker.client_id"
    )


class TakeoverWatch:
    """Notices another client with our id and logs one line naming it (at most once per
    `quiet_s`): a DISCONNECT with reason 0x8E, or (MQTT 3.1.1 has no reason) `limit`
    connections in a row lost within `within_s` of coming up. `clock`: monotonic seconds."""

    def __init__(
        self,
        client_id: str,
        limit: int = 3,
        within_s: float = 2.0,
        quiet_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self.limit, self.within_s, self.quiet_s = limit, within_s, quiet_s
        self._clock = clock
        self._up_at: float | None = None
        self._row = 0
        self._said_at: float | None = None

    def up(self) -> None:
        self._up_at = self._clock()

    def down(self) -> bool:
        """A lost connection; True when it logged the hint."""
        up_at, self._up_at = self._up_at, None
        if up_at is None:
            return False
        self._row = self._row + 1 if self._clock() - up_at < self.within_s else 0
        return self._row >= self.limit and self._say()

    def disconnected(self, reason_code: int) -> bool:
        """The broker's DISCONNECT; True when it logged the hint."""
        return reason_code == SESSION_TAKEN_OVER and self._say()

    def _say(self) -> bool:
        now = self._clock()
        if self._said_at is not None and now - self._said_at < self.quiet_s:
            return False
        self._said_at = now
        log.error(takeover_hint(self.client_id))
        return True


def log_refused(filters: Iterable[str], codes: list[int]) -> None:
    """One line naming the filters a SUBACK refused."""
    if refused := [f for f, code in zip(filters, codes, strict=False) if code >= 0x80]:
        log.error("the broker refused the subscription to %s", ", ".join(refused))
