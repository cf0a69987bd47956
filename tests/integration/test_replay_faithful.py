"""Replay is faithful (issue 13): the original arrival time, only the failed values of a
batch, nothing twice; the spool keeps the whole topic and bounds what it keeps of a payload."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

import orjson
import pytest

from tests.integration.harness import Running, running_service
from uns.config.loader import load_model
from uns.replay import parse_spool

pytestmark = pytest.mark.broker


async def _replay(spool: Path, port: int, *flags: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uns", "replay", str(spool), "--broker",
        f"mqtt://127.0.0.1:{port}", *flags,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, out
    return out.decode()


async def _settled(running: Running, n: int) -> list[tuple[str, dict[str, object]]]:
    """The sink's messages once it holds `n` and nothing more came for half a second."""
    await running.sink.wait_for(n)
    await asyncio.sleep(0.5)
    return list(running.sink.messages)


def _learn(tmp_path: Path, old: str, new: str) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(model.read_text().replace(old, old + new))


async def test_replay_keeps_the_arrival_time_takes_only_failed_values_and_runs_once(
    broker,  # type: ignore[no-untyped-def]
    unique_topic: str,
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool" / "dead.jsonl"
    batch = orjson.dumps(
        {"timestamp": 1774346400000, "values": [
            {"id": "L9.OV9.TT1", "v": 1}, {"id": "L9.OV9.XX", "v": 2}]}
    )  # fmt: skip
    async with running_service(
        broker.port, unique_topic, tmp_path, deadletter_spool=str(spool)
    ) as running:
        await running.publish("raw/scalar/O1/TEMP", b"7")  # no source timestamp
        await running.publish("raw/kepware/austin", batch)  # TT1 is good, XX is not mapped
        first = await _settled(running, 3)
        dead = {m["topic"].split("/")[-1]: m for _, m in first if "reason" in m}
        assert sorted(dead) == ["TEMP", "austin"]
        assert dead["austin"]["values"] == ["L9.OV9.XX"]

        _learn(tmp_path, "      RUN: running\n", "      TEMP: state\n")
        _learn(tmp_path, "      GoodCnt: good_count\n", "      XX: setpoint\n")
        await running.service.use_model(load_model(tmp_path))
        await asyncio.sleep(0.3)  # the replay comes later than the original arrival

        said = await _replay(spool, broker.port)
        assert "republished 2 dead letters" in said
        replayed = (await _settled(running, 5))[3:]
        by_tag = {topic.rsplit("/", 1)[-1]: body for topic, body in replayed}
        assert sorted(by_tag) == ["setpoint", "state"]  # not the temperature of the batch again
        assert by_tag["state"]["value"] == "7"
        assert by_tag["state"]["timestamp"] == dead["TEMP"]["received"]  # not the replay time
        assert by_tag["state"]["timestamp_source"] == "arrival"

        said = await _replay(spool, broker.port)
        assert "republished 0 dead letters" in said
        assert "2 already replayed" in said
        assert len(await _settled(running, 5)) == 5  # the second run published nothing

        said = await _replay(spool, broker.port, "--again")
        assert "republished 2 dead letters" in said
        assert len(await _settled(running, 7)) == 7


async def test_spool_keeps_the_whole_topic_and_bounds_huge_payloads(
    broker,  # type: ignore[no-untyped-def]
    unique_topic: str,
    tmp_path: Path,
) -> None:
    spool = tmp_path / "dead.jsonl"
    huge = b'{"v": "' + b"x" * 300_000 + b'"}'  # over max_payload_bytes (256 KiB)
    long_asset = "a" * 1500  # the topic passes max_topic_bytes (1 KiB)
    async with running_service(
        broker.port,
        unique_topic,
        tmp_path,
        deadletter_spool=str(spool),
        deadletter_spool_entry_max_kb=64,
    ) as running:
        await running.publish("raw/json/oven-1/temperature", huge)
        await running.publish(f"raw/json/{long_asset}/temperature", b'{"v": 1}')
        published = [body for _, body in await _settled(running, 2)]
    too_large, too_long = sorted(published, key=lambda b: str(b["reason"]))
    assert too_large["reason"] == "payload_too_large"
    assert too_large["payload_encoding"] == "utf-8-excerpt"  # not the 300 KB again
    assert too_large["payload_sha256"] == hashlib.sha256(huge).hexdigest()
    assert too_large["payload_bytes"] == len(huge)
    assert too_long["reason"] == "topic_too_long"
    assert len(str(too_long["topic"])) < 300  # the published dead letter stays cut

    lines = spool.read_bytes().splitlines()
    assert all(len(line) < 64 * 1024 for line in lines)
    excerpts: list = []  # type: ignore[type-arg]
    [whole] = list(parse_spool(lines, "spool", excerpts))
    assert whole.topic == f"{unique_topic}/raw/json/{long_asset}/temperature"
    assert whole.payload == b'{"v": 1}'
    assert [e.excerpt_sha256 for e in excerpts] == [hashlib.sha256(huge).hexdigest()]
