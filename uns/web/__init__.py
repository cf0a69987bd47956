"""The live namespace page: the governed tree with last values, dead letters, the model in force.

`attach_page` connects it to a service; `uns.io.http.HealthServer(pages=...)` serves it.
"""

from __future__ import annotations

from uns.config.settings import ServiceSettings
from uns.lint.runner import lint_namespace
from uns.namespace import Namespace
from uns.service import Service
from uns.web.page import NamespacePage
from uns.web.state import NamespaceState

__all__ = ["NamespacePage", "NamespaceState", "attach_page"]


def attach_page(service: Service, ns: Namespace, settings: ServiceSettings) -> NamespacePage:
    """A page fed by `service` (its observer hook), starting from the model it runs."""
    state = NamespaceState(spool=settings.deadletter_spool, models=settings.models)
    page = NamespacePage(state, lint=lint_namespace)
    page.model_changed(ns, service.stats.model_version)
    service.observer = page
    return page
