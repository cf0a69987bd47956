"""A mapping mistake costs nothing: dead letters are spooled, the model is fixed, replayed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.integration.harness import running_service
from uns.config.loader import load_model

pytestmark = pytest.mark.broker


async def test_dead_letters_replayed_after_a_model_fix_arrive_enriched(
    broker,
    unique_topic: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    spool = tmp_path / "spool" / "dead.jsonl"
    async with running_service(
        broker.port, unique_topic, tmp_path, deadletter_spool=str(spool)
    ) as running:
        for value in (b"1", b"2", b"3"):
            await running.publish("raw/scalar/O1/TEMP", value)  # TEMP is not mapped yet
        messages = await running.sink.wait_for(3)
        assert {m["reason"] for _, m in messages} == {"unknown_raw_tag"}
        assert len(spool.read_text().splitlines()) == 3

        model = tmp_path / "model.yaml"
        model.write_text(
            model.read_text().replace(
                "      RUN: running\n", "      RUN: running\n      TEMP: state\n"
            )
        )
        await running.service.use_model(load_model(tmp_path))

        replay = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uns",
            "replay",
            str(spool),
            "--reason",
            "unknown_raw_tag",
            "--broker",
            f"mqtt://127.0.0.1:{broker.port}",
        )
        assert await asyncio.wait_for(replay.wait(), 30) == 0
        messages = await running.sink.wait_for(6)
        replayed = [(t, m["value"]) for t, m in messages[3:]]
        topic = f"{running.enterprise}/berlin/baking/line-1/oven-cell/oven-1/state"
        assert sorted(replayed) == [(topic, "1"), (topic, "2"), (topic, "3")]
