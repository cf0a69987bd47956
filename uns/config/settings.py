"""Service settings: a YAML file, environment variables and command-line flags, in that order.

Secrets never come from the command line: the broker password is read from
`UNS_BROKER_PASSWORD` or from `password_file` (which must not be readable by others).
"""

from __future__ import annotations

import os
import socket
import stat
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from uns.config.broker import BrokerSettings
from uns.config.entries import ModelLimits
from uns.errors import SettingsError
from uns.model.partition import Partition


class BrokerSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = "mqtt://127.0.0.1:1883"
    client_id: str = Field(default_factory=lambda: f"uns-{socket.gethostname()}")
    username: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    verify_hostname: bool = True
    protocol: Literal[4, 5] = 5
    keepalive_s: int = 60
    clean_start: bool = False
    session_expiry_s: int = 3600
    receive_maximum: int = Field(default=1024, ge=1, le=65535)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    backoff_min_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)

    def options(self) -> dict[str, Any]:
        """The fields that pass to `BrokerSettings` unchanged (the rest: URL and secrets)."""
        return self.model_dump(exclude={"url", "username", "password_file"})


class SparkplugSection(BaseModel):
    """Sparkplug B host behaviour (see docs/sparkplug.md)."""

    model_config = ConfigDict(extra="forbid")

    active: bool = False  # request rebirths (NCMD); passive hosts only report problems
    reorder_timeout_ms: int = Field(default=2000, ge=0)
    rebirth_min_interval_ms: int = Field(default=5000, ge=0)
    host_id: str | None = None  # set to publish primary-host STATE (retained, with a Will)
    check_seq: bool | None = None  # default: on, off when data is shared between replicas
    # Bounds on the host state and on rebirth requests (issue 13, docs/sparkplug.md "Bounds").
    max_nodes: int = Field(default=10_000, ge=1)
    max_metrics_per_node: int = Field(default=10_000, ge=1)
    node_idle_ms: int = Field(default=3_600_000, ge=0)
    rebirth_rate_per_s: float = Field(default=10.0, gt=0)
    rebirth_burst: int = Field(default=100, ge=1)


class ModelLimitsSection(BaseModel):
    """What a models directory may be, checked before parsing (docs/models.md "Limits")."""

    model_config = ConfigDict(extra="forbid")

    max_file_mb: float = Field(default=10, gt=0)
    max_total_mb: float = Field(default=100, gt=0)
    max_depth: int = Field(default=64, ge=2, le=500)  # below libyaml's own 1000

    def limits(self) -> ModelLimits:
        mb = 1024 * 1024
        return ModelLimits(int(self.max_file_mb * mb), int(self.max_total_mb * mb), self.max_depth)


class ServiceSettings(BaseModel):
    """Everything `uns run` needs besides the models directory."""

    model_config = ConfigDict(extra="forbid")

    models: str = "models"
    broker: BrokerSection = BrokerSection()
    sparkplug: SparkplugSection = SparkplugSection()
    model_limits: ModelLimitsSection = ModelLimitsSection()
    qos: Literal[0, 1] = 1  # for subscriptions and publications
    share_group: str | None = None  # raw data via $share/<group>/...; context never shared
    # "I/N": enrich only what partition I of N owns (docs/deployment.md, "Partitions").
    partition: str | None = None
    workers: int = Field(default=1, ge=1, le=256)  # >1: a supervisor runs N partitions
    # Raw filters to use instead of one per binding (e.g. ["plc/#"] for 100k bindings);
    # traffic that no binding matches is dead-lettered as usual.
    subscribe: list[str] | None = None
    max_payload_bytes: int = Field(default=256 * 1024, ge=64)
    max_topic_bytes: int = Field(default=1024, ge=16, le=65535)
    max_context_value_chars: int = Field(default=1024, ge=1)  # longer MES values: dead letters
    # Largest PUBLISH the service sends (the broker's Maximum Packet Size lowers it); a larger
    # output goes out as a dead letter with an excerpt of the raw payload.
    max_publish_bytes: int = Field(default=1024 * 1024, ge=1024)
    deadletter_excerpt_bytes: int = Field(default=1024, ge=0, le=65536)
    deadletter_spool: str | None = None  # JSON lines of every dead letter, for `uns replay`
    deadletter_spool_max_mb: int = Field(default=100, ge=1)
    # A spool entry over this keeps only an excerpt and the sha256 (replay skips it).
    deadletter_spool_entry_max_kb: int = Field(default=1024, ge=1)
    drain_timeout_s: float = Field(default=10.0, gt=0)
    reload_interval_s: float = Field(default=2.0, gt=0)  # how often the models dir is polled
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = 9464  # None disables the endpoint
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # auto: uvloop when installed (the `fast` extra), else asyncio's own loop
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"

    @field_validator("partition")
    @classmethod
    def _partition(cls, value: str | None) -> str | None:
        return None if value is None else str(Partition.parse(value))

    @model_validator(mode="after")
    def _scale_out(self) -> ServiceSettings:
        if self.share_group and (self.partition or self.workers > 1):
            raise ValueError(
                "share_group and partition/workers exclude each other: partitions keep "
                "per-topic order, a shared subscription hands messages out round robin"
            )
        if self.partition and self.workers > 1:
            raise ValueError("give partition (one replica) or workers (a supervisor), not both")
        if self.sparkplug.host_id and (self.partition or self.workers > 1):
            raise ValueError(
                "sparkplug.host_id with partitions: every partition would publish the host's "
                "STATE and any one's Will would mark it offline for all; leave host_id unset"
            )
        return self

    def partition_of(self) -> Partition | None:
        return None if self.partition is None else Partition.parse(self.partition)

    def broker_settings(self, env: dict[str, str] | None = None) -> BrokerSettings:
        env = dict(os.environ) if env is None else env
        b = self.broker
        password = env.get("UNS_BROKER_PASSWORD")
        if b.password_file:
            password = _read_secret(b.password_file)
        username = env.get("UNS_BROKER_USERNAME", b.username)
        in_url = urllib.parse.urlsplit(b.url)  # credentials in the URL win (and clash otherwise)
        creds: dict[str, str] = {}
        if username and not in_url.username:
            creds["username"] = username
        if password and in_url.password is None:
            creds["password"] = password
        options = b.options()
        partition = self.partition_of()
        if partition is not None:
            # One persistent session per partition and count: a new count starts fresh
            # sessions (docs/deployment.md, "Changing the partition count").
            options["client_id"] = f"{b.client_id}-p{partition.index}of{partition.count}"
        return BrokerSettings.from_url(b.url, **creds, **options)


def _read_secret(path: str) -> str:
    p = Path(path)
    try:
        mode = p.stat().st_mode
        text = p.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"cannot read password_file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(f"password_file {path} is readable by others: chmod 600 it")
    return text


def _refuse_shared_secret(path: str, data: dict[str, Any]) -> None:
    """A password in `broker.url` of a file others can read is not a secret any more."""
    broker = data.get("broker")
    url = broker.get("url") if isinstance(broker, dict) else None
    if not isinstance(url, str) or ":" not in url.partition("://")[2].rpartition("@")[0]:
        return
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return  # it was just read; a race with its removal is not a secrets problem
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(
            f"settings file {path} holds a password in broker.url and is readable by others: "
            "chmod 600 it, or better move the password to UNS_BROKER_PASSWORD or "
            "broker.password_file"
        )


def _from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    """`UNS_<KEY>` and `UNS_BROKER_<KEY>` / `UNS_SPARKPLUG_<KEY>`, values read as YAML scalars."""
    out: dict[str, Any] = {}
    sections: dict[str, type[BaseModel]] = {"BROKER": BrokerSection, "SPARKPLUG": SparkplugSection}
    for name, value in env.items():
        if not name.startswith("UNS_") or name == "UNS_BROKER_PASSWORD":
            continue  # the password is read by broker_settings, never stored here
        key = name[4:].lower()
        section = next((s for s in sections if name[4:].startswith(f"{s}_")), None)
        if section is not None:
            field = key[len(section) + 1 :]
            if field in sections[section].model_fields:
                out[f"{section.lower()}.{field}"] = _scalar(value)
        elif key in ServiceSettings.model_fields:
            out[key] = _scalar(value)
    return out


def _scalar(text: str) -> Any:
    try:
        return YAML(typ="safe").load(text)
    except YAMLError:
        return text


def load_settings(path: str | None, overrides: dict[str, Any]) -> ServiceSettings:
    """Settings from an optional YAML file, then `UNS_*` environment variables, then
    `overrides` (command-line flags; dotted keys for nesting)."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
        except YAMLError as exc:
            raise SettingsError(f"settings file {path} is not valid YAML: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise SettingsError(f"settings file {path} must be a mapping")
        data = loaded or {}
        _refuse_shared_secret(path, data)
    flags = {k: v for k, v in overrides.items() if v is not None}  # None: flag not given
    for key, value in {**_from_environment(os.environ), **flags}.items():
        target = data
        *parents, last = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    try:
        return ServiceSettings.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        where = path or "command line"
        raise SettingsError(f"bad settings ({where}):\n" + "\n".join(lines)) from None
