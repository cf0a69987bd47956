"""Hot reload under traffic: good models swap in, broken ones are refused, nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.harness import Running
from uns.reload import ModelWatcher, ReloadResult, fingerprint

pytestmark = pytest.mark.broker

NEW_BINDING = """
  - name: added-later
    topic: "{prefix}/raw/added/{{raw_tag}}"
    format: scalar
    equipment: berlin/baking/line-1/oven-2
    tag: "{{raw_tag}}"
"""


def watcher_for(running: Running, root: Path, results: list[ReloadResult]) -> ModelWatcher:
    return ModelWatcher(
        root,
        running.service.use_model,
        results.append,
        interval_s=3600,  # the test asks for checks itself
        current_version=fingerprint(root),
    )


async def test_good_model_swaps_in_and_broken_model_is_refused(
    running: Running, tmp_path: Path
) -> None:
    root = Path(running.service.settings.models)
    model = root / "model.yaml"
    original = model.read_text()
    results: list[ReloadResult] = []
    watcher = watcher_for(running, root, results)

    added = f"{running.prefix}/raw/added/+"
    assert added not in [f for f, _ in running.service.subscriptions()]
    model.write_text(
        original.replace("\ncontext:\n", NEW_BINDING.format(prefix=running.prefix) + "\ncontext:\n")
    )
    assert (await watcher.check()) is not None
    assert results[-1].ok
    assert added in [f for f, _ in running.service.subscriptions()]

    # A burst across the swap: every message arrives, on the new binding.
    for i in range(50):
        await running.publish("raw/added/good_count", str(i).encode())
    messages = await running.sink.wait_for(50)
    counts = [m["value"] for t, m in messages if t.endswith("/oven-2/good_count")]
    assert counts == list(range(50))

    # A broken model (unknown class) is refused; the running model keeps working.
    model.write_text(model.read_text().replace("oven-2: oven", "oven-2: ovn"))
    await watcher.check()
    assert not results[-1].ok
    assert any("unknown class 'ovn'" in p.message for p in results[-1].problems)
    await running.publish("raw/added/good_count", b"99")
    messages = await running.sink.wait_for(51)
    assert messages[-1][1]["value"] == 99


async def test_context_state_survives_a_reload(running: Running) -> None:
    root = Path(running.service.settings.models)
    results: list[ReloadResult] = []
    watcher = watcher_for(running, root, results)
    await running.publish("mes/L1/batch", b'{"batch_id": "B-7", "ts": 1774346400000}')
    await running.publish("raw/json/L1/O2", b'{"data": {"v": 50, "ts": 1774346401000}}')
    await running.sink.wait_for(1)
    model = root / "model.yaml"
    model.write_text(model.read_text().replace("product: rye-bread", "product: spelt-bread"))
    await watcher.check()
    assert results[-1].ok
    await running.publish("raw/json/L1/O2", b'{"data": {"v": 51, "ts": 1774346402000}}')
    messages = await running.sink.wait_for(2)
    context = messages[-1][1]["context"]
    assert (context["batch"], context["product"]) == ("B-7", "spelt-bread")
