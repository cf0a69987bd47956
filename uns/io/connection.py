"""What every broker connection needs: reconnect backoff and the TLS context."""

from __future__ import annotations

import random
import ssl
from collections.abc import Callable

from uns.config.broker import BrokerSettings
from uns.errors import SettingsError


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
