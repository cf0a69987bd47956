"""The live namespace page: the governed tree with last values, dead letters, the model in force.

`attach_page` connects it to a service; `uns.io.http.HealthServer(pages=...)` serves it, as
`uns run` does on its metrics listener and `serve_page` does for `uns demo`.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

from uns.config.settings import ServiceSettings
from uns.io.http import HealthServer
from uns.lint.linter import lint_namespace
from uns.metrics import registry_for
from uns.model.namespace import Namespace
from uns.reload import fingerprint
from uns.service import Service
from uns.web.page import NamespacePage
from uns.web.state import NamespaceState

__all__ = ["NamespacePage", "NamespaceState", "attach_page", "serve_page"]


def attach_page(service: Service, ns: Namespace, settings: ServiceSettings) -> NamespacePage:
    """A page fed by `service` (its observer hook), starting from the model it runs."""
    state = NamespaceState(spool=settings.deadletter_spool, models=settings.models)
    page = NamespacePage(state, lint=lint_namespace)
    page.model_changed(ns, service.stats.model_version)
    service.observer = page
    return page


@contextlib.asynccontextmanager
async def serve_page(
    service: Service,
    ns: Namespace,
    announce: IO[str] | None = None,
    host: str = "127.0.0.1",
    port: int = 9464,
) -> AsyncIterator[str]:
    """The page (and /metrics) for a service that has no listener of its own, at its address;
    another free port when `port` is taken (a `uns run` next to the demo)."""
    if not service.stats.model_version:  # a service started without the runner
        service.stats.model_version = fingerprint(Path(service.settings.models))
    page = attach_page(service, ns, service.settings)
    server = HealthServer(registry_for(service.stats), service.ready, host, port, pages=page)
    try:
        await server.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        server.port = 0
        await server.start()
    url = f"http://{host}:{server.port}/"
    if announce is not None:
        print(f"namespace page: {url}", file=announce, flush=True)
    try:
        yield url
    finally:
        await server.stop()
