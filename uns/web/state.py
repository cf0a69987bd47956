"""What the namespace page shows, kept from the service's own output. Pure: no I/O, no clock.

The service calls `observe` with every message it publishes (governed values and dead letters);
the page asks for one tree level at a time (`children`), a path search (`search`), the
dead-letter summary and the model panel. With 100k tags the cost that matters is per published
message, so `observe` only stores the payload bytes and timestamps: a payload is parsed when a
page asks for that tag, never on the hot path.

Live updates are coalesced: `take_changes` returns each tag changed since the last call once,
however many values it received in between, so a page gets at most one row update per tag
per push however fast the plant publishes.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from uns.model.namespace import Namespace
from uns.model.problem import Problem

STALE_FACTOR = 3.0  # no value for this many times the tag's usual period: stale
STALE_MIN_S = 5.0  # ... but never sooner than this (a 10 Hz tag is not stale after 0.3 s)
SAMPLES_PER_REASON = 5
EXCERPT_CHARS = 200  # of a dead letter's payload and detail
RAW_PREFIX_LEVELS = 2  # dead letters are grouped by the first levels of their raw topic
MAX_PROBLEMS = 50  # of a refused reload or of the lint findings, shown on the page
_SLOT = "\x00"  # stands for the tag name while an equipment's topic levels are built once
_STALE_QUALITY = b'"quality":"stale"'


@dataclass(slots=True)
class TagState:
    """One governed tag: what the model says about it and the last payload published for it."""

    path: str  # the governed topic
    datatype: str = ""
    unit: str | None = None
    asset_class: str = ""
    payload: bytes = b""  # the last governed payload, parsed on demand
    last_ms: int = 0  # when the service published it (wall clock, ms)
    period_s: float = 0.0  # moving average of the time between values
    updates: int = 0
    said_stale: bool = False  # the last payload's quality was `stale` (a Sparkplug death)

    def stale(self, now_ms: int) -> bool:
        if self.updates == 0:
            return False  # never seen: "no data", not stale
        if self.said_stale:
            return True
        if self.updates < 2:
            return False  # no usual period yet
        limit = max(STALE_FACTOR * self.period_s, STALE_MIN_S)
        return (now_ms - self.last_ms) / 1000 > limit

    def view(self, now_ms: int) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(self.payload) if self.payload else {}
        return {
            "path": self.path,
            "name": self.path.rsplit("/", 1)[-1],
            "kind": "tag",
            "datatype": self.datatype,
            "class": self.asset_class,
            "unit": body.get("unit", self.unit),
            "value": body.get("value"),
            "quality": body.get("quality"),
            "timestamp": body.get("timestamp"),
            "context": body.get("context", {}),
            "source": body.get("source", {}),
            "last_ms": self.last_ms or None,
            "period_s": round(self.period_s, 3) if self.updates > 1 else None,
            "stale": self.stale(now_ms),
        }


@dataclass(slots=True)
class Folder:
    """One topic level: the levels and tags right below it, and how many tags lie below."""

    children: dict[str, Folder] = field(default_factory=dict)
    tags: dict[str, TagState] = field(default_factory=dict)
    tag_count: int = 0


@dataclass(slots=True)
class DeadLetterSample:
    reason: str
    topic: str
    detail: str
    received: str
    payload: str  # an excerpt


@dataclass(slots=True)
class ReloadView:
    ok: bool
    version: str
    at: float
    problems: list[str]


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


class NamespaceState:
    def __init__(self, spool: str | None = None, models: str = "models") -> None:
        self.spool = spool  # for the replay command shown with the dead letters
        self.models = models
        self.root = Folder()
        self.tags: dict[str, TagState] = {}
        self.enterprise = ""
        self.deadletter_prefix = ""
        self._changed: dict[str, None] = {}  # insertion-ordered set
        self.dl_total = 0
        self.dl_by_reason: Counter[str] = Counter()
        self.dl_by_prefix: Counter[str] = Counter()
        self.dl_samples: dict[str, deque[DeadLetterSample]] = {}
        self.dl_changed = False
        self.model_version = ""
        self.model_loaded_at = 0.0
        self.last_reload: ReloadView | None = None
        self.findings: list[Problem] | None = None  # None: not linted yet
        self.model_changed = False

    # -- the model -----------------------------------------------------------------------

    def use_model(self, ns: Namespace, version: str, loaded_at: float) -> None:
        """Every governed tag of the model, so the tree shows tags that sent nothing yet.

        Tags of the previous model keep their state (and stay shown: the service may still
        have published them, and consumers still see their retained values).
        """
        self.enterprise = ns.enterprise.name
        self.deadletter_prefix = str(ns.deadletter_topic("x")).rsplit("/", 1)[0]
        for node in ns.equipment():
            assert node.asset_class is not None
            levels = ns.governed_levels(node, _SLOT)  # once per equipment
            if _SLOT in levels[-1] and not any(_SLOT in lvl for lvl in levels[:-1]):
                folder = self._folder(levels[:-1], len(node.tags))
                prefix = "/".join(levels[:-1])
                for name, tag in node.tags.items():
                    leaf = levels[-1].replace(_SLOT, name)
                    state = folder.tags.get(leaf)
                    if state is None:
                        path = f"{prefix}/{leaf}" if prefix else leaf
                        state = folder.tags[leaf] = self.tags[path] = TagState(path)
                    else:
                        self._uncount(levels[:-1])  # counted twice: it was there already
                    state.datatype, state.unit = tag.datatype, tag.unit
                    state.asset_class = node.asset_class.name
                continue
            for name, tag in node.tags.items():  # a layout with the tag above the equipment
                path = "/".join(lvl.replace(_SLOT, name) for lvl in levels)
                state = self._tag(path)
                state.datatype, state.unit = tag.datatype, tag.unit
                state.asset_class = node.asset_class.name
        self.model_version = version
        self.model_loaded_at = loaded_at
        self.findings = None
        self.model_changed = True

    def reload_result(self, ok: bool, version: str, problems: Iterable[Problem], at: float) -> None:
        shown = [p.parsable() for p in problems][:MAX_PROBLEMS]
        self.last_reload = ReloadView(ok, version, at, shown)
        self.model_changed = True

    def set_findings(self, version: str, findings: list[Problem]) -> None:
        if version == self.model_version:  # a lint of a model since replaced is dropped
            self.findings = findings
            self.model_changed = True

    # -- the hot path --------------------------------------------------------------------

    def observe(self, topic: str, payload: bytes, kind: str, now_ms: int) -> None:
        """One message the service published (commands to devices are not shown)."""
        if kind == "enriched":
            state = self.tags.get(topic) or self._tag(topic)
            if state.updates:
                gap = max(now_ms - state.last_ms, 0) / 1000
                state.period_s = gap if state.updates == 1 else 0.8 * state.period_s + 0.2 * gap
            state.payload, state.last_ms = payload, now_ms
            state.said_stale = _STALE_QUALITY in payload
            state.updates += 1
            self._changed[topic] = None
        elif kind == "deadletter":
            self._dead_letter(payload)

    def _dead_letter(self, payload: bytes) -> None:
        try:
            body = orjson.loads(payload)
        except orjson.JSONDecodeError:
            body = {}
        reason = str(body.get("reason") or "unknown")
        raw = str(body.get("topic") or "")
        self.dl_total += 1
        self.dl_by_reason[reason] += 1
        self.dl_by_prefix["/".join(raw.split("/")[:RAW_PREFIX_LEVELS])] += 1
        samples = self.dl_samples.setdefault(reason, deque(maxlen=SAMPLES_PER_REASON))
        samples.append(
            DeadLetterSample(
                reason,
                excerpt(raw),
                excerpt(str(body.get("detail") or "")),
                str(body.get("received") or ""),
                excerpt(str(body.get("payload") or "")),
            )
        )
        self.dl_changed = True

    def _tag(self, path: str) -> TagState:
        state = self.tags.get(path)
        if state is not None:
            return state
        *levels, name = path.split("/")
        state = self.tags[path] = TagState(path)
        self._folder(levels, 1).tags[name] = state
        return state

    def _folder(self, levels: list[str], new_tags: int) -> Folder:
        """The folder at `levels` (made if missing), counting `new_tags` on the way down."""
        folder = self.root
        folder.tag_count += new_tags
        for level in levels:
            folder = folder.children.setdefault(level, Folder())
            folder.tag_count += new_tags
        return folder

    def _uncount(self, levels: list[str]) -> None:
        folder = self.root
        folder.tag_count -= 1
        for level in levels:
            folder = folder.children[level]
            folder.tag_count -= 1

    # -- what the page asks for ----------------------------------------------------------

    def folder(self, path: str) -> Folder | None:
        folder: Folder | None = self.root
        for level in path.split("/") if path else ():
            folder = folder.children.get(level) if folder else None
        return folder

    def children(self, path: str, now_ms: int) -> list[dict[str, Any]] | None:
        """One level of the tree: sub-levels (with tag counts) first, then tags, by name."""
        folder = self.folder(path)
        if folder is None:
            return None
        base = f"{path}/" if path else ""
        levels = [
            {"path": base + name, "name": name, "kind": "level", "tags": child.tag_count}
            for name, child in sorted(folder.children.items())
        ]
        return levels + [t.view(now_ms) for _, t in sorted(folder.tags.items())]

    def search(self, text: str, now_ms: int, limit: int = 200) -> tuple[list[dict[str, Any]], int]:
        """Tags whose path contains every word of `text` (case-insensitive), and how many."""
        words = text.lower().split()
        hits = [t for p, t in self.tags.items() if all(w in p.lower() for w in words)]
        hits.sort(key=lambda t: t.path)
        return [t.view(now_ms) for t in hits[:limit]], len(hits)

    def take_changes(self, now_ms: int, limit: int = 2000) -> tuple[list[dict[str, Any]], int]:
        """Tags changed since the last call, each once; more than `limit`: the rest later."""
        paths = list(_first(self._changed, limit))
        for p in paths:
            del self._changed[p]
        return [self.tags[p].view(now_ms) for p in paths], len(self._changed)

    def stale_count(self, now_ms: int) -> int:
        return sum(1 for t in self.tags.values() if t.stale(now_ms))

    def deadletters(self) -> dict[str, Any]:
        reasons = sorted(self.dl_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
        return {
            "total": self.dl_total,
            "by_reason": [
                {
                    "reason": reason,
                    "count": n,
                    "samples": [vars_of(s) for s in reversed(self.dl_samples.get(reason, ()))],
                    "replay": self.replay_command(reason),
                }
                for reason, n in reasons
            ],
            "by_prefix": [
                {"prefix": p, "count": n}
                for p, n in sorted(self.dl_by_prefix.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "topic": f"{self.deadletter_prefix}/#" if self.deadletter_prefix else "",
        }

    def replay_command(self, reason: str) -> str:
        """The commands to check, then republish, one reason's dead letters after a fix."""
        spool = self.spool or "deadletters.jsonl"
        capture = ""
        if self.spool is None:  # no spool: only a capture of what comes from now on
            topic = f"{self.deadletter_prefix}/{reason}"
            capture = f"mosquitto_sub -h BROKER -t '{topic}' > {spool}  # then, later:\n"
        return (
            f"{capture}uns replay {spool} --reason {reason} --dry-run --models {self.models}\n"
            f"uns replay {spool} --reason {reason} --broker mqtt://BROKER:1883"
        )

    def model(self) -> dict[str, Any]:
        reload = self.last_reload
        findings = self.findings
        return {
            "enterprise": self.enterprise,
            "version": self.model_version,
            "loaded_at": self.model_loaded_at,
            "tags": len(self.tags),
            "last_reload": None
            if reload is None
            else {
                "ok": reload.ok,
                "version": reload.version,
                "at": reload.at,
                "problems": reload.problems,
            },
            "findings": None
            if findings is None
            else {
                "count": len(findings),
                "by_level": dict(Counter(p.level for p in findings)),
                "shown": [p.parsable() for p in findings[:MAX_PROBLEMS]],
            },
        }


def vars_of(sample: DeadLetterSample) -> dict[str, str]:
    return {
        "topic": sample.topic,
        "detail": sample.detail,
        "received": sample.received,
        "payload": sample.payload,
    }


def _first(items: Iterable[str], n: int) -> Iterator[str]:
    for i, item in enumerate(items):
        if i >= n:
            return
        yield item
