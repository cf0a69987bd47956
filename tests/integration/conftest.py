from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.harness import Running, running_service


@pytest.fixture
async def running(broker, unique_topic: str, tmp_path: Path) -> AsyncIterator[Running]:  # type: ignore[no-untyped-def]
    async with running_service(broker.port, unique_topic, tmp_path) as r:
        yield r
