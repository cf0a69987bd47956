"""The MQTT topic filters a Sparkplug host replica subscribes to."""

from __future__ import annotations

from collections.abc import Sequence

from uns.sparkplug.topic import NAMESPACE

__all__ = ["sparkplug_subscriptions"]


def sparkplug_subscriptions(
    share_group: str | None = None, groups: Sequence[str] = ("+",)
) -> list[str]:
    """The topic filters a host replica subscribes to.

    Births, deaths and STATE must reach every replica (each keeps its own birth cache), so
    they are never shared; NDATA/DDATA go through `$share/{share_group}/` when given. With
    shared DATA each replica sees only part of a node's seq stream: construct the host with
    `check_seq=False` unless the broker routes a publisher's messages to one replica.
    """
    shared = f"$share/{share_group}/" if share_group else ""
    filters = [
        f"{shared if verb.endswith('DATA') else ''}{NAMESPACE}/{group}/{verb}/#"
        for group in groups
        for verb in ("NBIRTH", "NDEATH", "DBIRTH", "DDEATH", "NDATA", "DDATA")
    ]
    return [*filters, f"{NAMESPACE}/STATE/+"]
