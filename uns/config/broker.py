"""Broker connection settings: one definition, read by the settings file and by `uns.io`."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field, fields
from typing import Any, Final

from uns.errors import SettingsError

_SCHEMES: Final = {"mqtt": (1883, False), "mqtts": (8883, True)}


@dataclass(frozen=True)
class BrokerSettings:
    """Where and how to connect. The password never appears in repr() or in log lines."""

    host: str = "127.0.0.1"
    port: int = 1883
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    verify_hostname: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = ""
    protocol: int = 5  # 5 = MQTT 5.0, 4 = MQTT 3.1.1
    keepalive_s: int = 60
    clean_start: bool = False
    session_expiry_s: int = 3600  # MQTT 5 only; 3.1.1 brokers keep sessions by their own rules
    receive_maximum: int = 1024  # incoming messages handled at once; MQTT 5: unacked QoS 1
    connect_timeout_s: float = 10.0
    publish_timeout_s: float = 10.0
    backoff_min_s: float = 0.5
    backoff_max_s: float = 30.0

    def __post_init__(self) -> None:
        checks = (
            (bool(self.host), "host is empty"),
            (1 <= self.port <= 65535, f"port {self.port} is not in 1..65535"),
            (self.protocol in (4, 5), f"protocol {self.protocol} is not 4 or 5"),
            (0 <= self.keepalive_s <= 65535, "keepalive_s is not in 0..65535"),
            (0 <= self.session_expiry_s <= 0xFFFFFFFF, "session_expiry_s is out of range"),
            (1 <= self.receive_maximum <= 65535, "receive_maximum is not in 1..65535"),
            (min(self.connect_timeout_s, self.publish_timeout_s) > 0, "timeouts must be > 0"),
            (0 < self.backoff_min_s <= self.backoff_max_s, "need 0 < backoff min <= max"),
            (self.username is not None or self.password is None, "password without username"),
            (self.cert_file is not None or self.key_file is None, "key_file without cert_file"),
            (self.tls or not (self.ca_file or self.cert_file), "TLS files but tls is off"),
            (self.clean_start or bool(self.client_id), "a persistent session needs a client_id"),
        )
        if problems := [text for ok, text in checks if not ok]:
            raise SettingsError(f"broker settings for {self.host!r}: {'; '.join(problems)}")

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> BrokerSettings:
        """`mqtt://[user[:password]@]host[:port]` or `mqtts://...`; other fields as keywords."""
        try:
            parts = urllib.parse.urlsplit(url.strip())
            port = parts.port
        except ValueError:  # its text quotes the URL, maybe a piece of the password: not shown
            raise SettingsError(
                f"broker URL {redacted(url)} is not valid: the port is not a number in "
                "0..65535 (a password with / ? # @ in the URL must be percent-encoded; "
                "better, give it in UNS_BROKER_PASSWORD or broker.password_file)"
            ) from None
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            raise SettingsError(f"broker URL scheme must be mqtt or mqtts, not {scheme!r}")
        if not parts.hostname:
            raise SettingsError("broker URL has no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise SettingsError(
                f"broker URL {redacted(url)} must not have a path, query or fragment (a "
                "password with / ? # in the URL must be percent-encoded)"
            )
        default_port, tls = _SCHEMES[scheme]
        values: dict[str, Any] = {"host": parts.hostname, "port": default_port, "tls": tls}
        if port is not None:
            values["port"] = port
        if parts.username:
            values["username"] = urllib.parse.unquote(parts.username)
        if parts.password is not None:
            values["password"] = urllib.parse.unquote(parts.password)
        known = {f.name for f in fields(cls)}
        if clash := sorted(values.keys() & overrides.keys()):
            raise SettingsError(f"broker URL already sets {', '.join(clash)}")
        if unknown := sorted(overrides.keys() - known):
            raise SettingsError(f"unknown broker settings: {', '.join(unknown)}")
        return cls(**values, **overrides)

    @property
    def address(self) -> str:
        """For log lines: scheme, user and address, never the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def redacted(url: str) -> str:
    """The URL for a message: everything between `://` and its last `@` (where credentials
    are, a password's `#`, `/` or `?` included) replaced by `***`."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return "***" if "@" in url else url
    at = rest.rfind("@")
    return f"{scheme}://***@{rest[at + 1 :]}" if at >= 0 else url.strip()


def refuse_credentials(url: str, where: str) -> None:
    """Credentials on the command line show in `ps` and in shell history: refuse them."""
    if "@" in url.partition("://")[2]:
        raise SettingsError(
            f"{where} {redacted(url)}: no credentials on the command line (every user sees "
            "them in ps); give UNS_BROKER_USERNAME and UNS_BROKER_PASSWORD or "
            "broker.password_file"
        )
