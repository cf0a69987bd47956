"""Hot reload of the models directory: validate the new model fully, then swap, or keep the old.

The directory is polled (size, mtime and content hash of every YAML file) rather than watched
with inotify: it works the same on bind mounts, NFS and git checkouts that replace files, and a
few stat calls every couple of seconds cost nothing. SIGHUP asks for a check at once.

A model is swapped only when it loads without problems; otherwise the old one keeps running and
every problem is logged with its file:line:col. The swap itself is one attribute assignment on
the event loop, between two messages, so no message is lost or processed twice, and context
state (batch, product, order) lives outside the model and is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from uns.config.entries import ModelLimits
from uns.config.loader import load_model_lenient
from uns.model.namespace import Namespace
from uns.model.problem import Position, Problem

log = logging.getLogger(__name__)


def model_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def fingerprint(root: Path) -> str:
    """A short content hash of every model file (the `version` label of the model metric)."""
    digest = hashlib.sha256()
    for path in model_files(root):
        digest.update(str(path.relative_to(root) if root.is_dir() else path.name).encode())
        digest.update(b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _stat_key(root: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for path in model_files(root):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


@dataclass
class ReloadResult:
    ok: bool
    version: str
    problems: list[Problem]


def try_load(
    root: Path, limits: ModelLimits | None = None
) -> tuple[Namespace | None, ReloadResult]:
    """Load and validate; a namespace only when there is no problem at all."""
    version = fingerprint(root)
    try:
        ns, problems = load_model_lenient(root, limits)
    except Exception as exc:  # a loader bug must not take the running model down
        log.exception("model load failed")
        problem = Problem.at(Position(str(root)), f"internal error while loading: {exc!r}")
        return None, ReloadResult(False, version, [problem])
    if problems:
        return None, ReloadResult(False, version, problems)
    return ns, ReloadResult(True, version, [])


class ModelWatcher:
    """Polls `root`; awaits `apply(namespace, version)` for every new valid model."""

    def __init__(
        self,
        root: Path,
        apply: Callable[[Namespace, str], Awaitable[None]],
        on_result: Callable[[ReloadResult], None],
        interval_s: float = 2.0,
        current_version: str = "",
        *,
        limits: ModelLimits | None = None,
    ) -> None:
        self.root = root
        self.limits = limits
        self.apply = apply
        self.on_result = on_result
        self.interval_s = interval_s
        self.version = current_version
        self._stat = _stat_key(root)
        self._wake = asyncio.Event()

    def request(self) -> None:
        """Check now (SIGHUP)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self.interval_s):
                    await self._wake.wait()
                forced = True
            except TimeoutError:
                forced = False
            self._wake.clear()
            stat = _stat_key(self.root)
            if stat == self._stat and not forced:
                continue
            self._stat = stat
            await self.check()

    async def check(self) -> ReloadResult | None:
        """Load in a worker thread (the event loop keeps serving), then swap on the loop."""
        started = time.perf_counter()
        ns, result = await asyncio.to_thread(try_load, self.root, self.limits)
        if result.version == self.version and result.ok:
            return None  # touched but unchanged
        if ns is not None:
            await self.apply(ns, result.version)
            self.version = result.version
            log.info(
                "model %s loaded from %s in %.2fs",
                result.version,
                self.root,
                time.perf_counter() - started,
            )
        else:
            log.error(
                "model in %s has %d problem(s); keeping model %s:\n%s",
                self.root,
                len(result.problems),
                self.version,
                "\n".join(p.parsable() for p in result.problems[:50]),
            )
        self.on_result(result)
        return result
