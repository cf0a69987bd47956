"""Partitions against a real mosquitto: every message enriched once, in per-topic order, with
Sparkplug seq checks on; a partition killed and restarted loses nothing (issue 15)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.delivery_kit import endpoint, fast_settings, publish_all, sink_on
from tests.integration.harness import UnsProcess, tuned_mosquitto, write_settings
from tests.integration.partition_kit import (
    BINDINGS,
    ENTERPRISE,
    GROUP,
    Burst,
    by_topic,
    ddata,
    first_copies,
    models,
)
from uns.config.loader import load_model
from uns.demo.mosquitto import MosquittoProcess
from uns.model.partition import owner
from uns.partitioning import PartitionPlan

pytestmark = pytest.mark.broker
UNBOUNDED = ("max_queued_messages 0",)
SPARKPLUG = {"active": True, "reorder_timeout_ms": 300, "rebirth_min_interval_ms": 0}
NCMD = f"spBv1.0/{GROUP}/NCMD/#"


@pytest.fixture
def broker(mosquitto_factory: Callable[..., Any], tmp_path: Path) -> Iterator[MosquittoProcess]:
    process = tuned_mosquitto(tmp_path / "broker", *UNBOUNDED)
    yield process
    process.kill()


async def start_partitions(tmp_path: Path, root: Path, port: int, count: int) -> list[UnsProcess]:
    procs = []
    for i in range(count):
        config = write_settings(
            tmp_path / f"p{i}.json", root, port, "uns", partition=f"{i}/{count}",
            sparkplug=SPARKPLUG,
        )  # fmt: skip
        procs.append(await UnsProcess(config).start())
    for proc in procs:
        await proc.wait_log("subscribed to")
    return procs


async def stop_all(procs: list[UnsProcess]) -> list[int]:
    for proc in procs:
        if proc.returncode is None:
            proc.send(signal.SIGTERM)
    return [await proc.wait() for proc in procs]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def assert_complete_and_ordered(got: dict[str, list[Any]], burst: Burst) -> None:
    expected = burst.expected()
    assert sorted(got) == sorted(expected)
    for topic, values in expected.items():
        assert got[topic] == values, topic


async def test_three_partitions_enrich_a_burst_once_in_order(
    broker: MosquittoProcess, tmp_path: Path
) -> None:
    nodes = ["E1", "E2", "E3"]  # one edge node per partition
    assert sorted(owner(f"{GROUP}/{n}", 3) for n in nodes) == [0, 1, 2]
    root = models(tmp_path / "models", nodes)
    burst = Burst(nodes, raw=17_000, per_node=1_000)  # 20,006 messages with the births
    procs = await start_partitions(tmp_path, root, broker.port, 3)
    try:
        async with (
            sink_on(broker.port, [f"{ENTERPRISE}/#", NCMD]) as sink,
            endpoint(fast_settings(broker.port, "publisher")) as publisher,
        ):
            assert set(await publish_all(publisher, burst.messages, within_s=120)) == {0}
            got = await sink.wait_for(burst.governed, f"{ENTERPRISE}/plant/", within_s=120)
            await asyncio.sleep(0.5)  # anything extra (a duplicate, a rebirth) shows up now
            assert len(sink.on(f"{ENTERPRISE}/plant/")) == burst.governed  # exactly once
            assert sink.on("spBv1.0/") == []  # no rebirth request: no false seq gap
            assert sink.on(f"{ENTERPRISE}/_deadletter") == []
            assert_complete_and_ordered(by_topic(got), burst)
            # The seq check is on: a skipped seq makes the node's owner ask for a rebirth.
            await publish_all(publisher, [ddata("E2", 1_000, seq=(2 + 1_000 + 5) % 256)])
            ncmd = await sink.wait_for(1, f"spBv1.0/{GROUP}/NCMD/E2", within_s=10)
            assert len(ncmd) == 1
    finally:
        codes = await stop_all(procs)
    assert codes == [0, 0, 0]


async def test_a_killed_partition_restarts_without_loss_or_reordering(
    broker: MosquittoProcess, tmp_path: Path
) -> None:
    nodes = ["E1", "E3", "E5"]
    root = models(tmp_path / "models", nodes)
    plan = PartitionPlan(load_model(root), 3)
    victim = 1  # owns raw bindings only (its Sparkplug birth cache would be lost with it)
    assert all(owner(f"{GROUP}/{n}", 3) != victim for n in nodes)
    assert plan.filters(victim) != plan.filters(0)
    burst = Burst(nodes, raw=8_000, per_node=300)
    procs = await start_partitions(tmp_path, root, broker.port, 3)
    try:
        async with (
            sink_on(broker.port, [f"{ENTERPRISE}/#"]) as sink,
            endpoint(fast_settings(broker.port, "publisher")) as publisher,
        ):
            half = len(burst.messages) // 2
            assert set(await publish_all(publisher, burst.messages[:half])) == {0}
            await sink.wait_for(100, f"{ENTERPRISE}/plant/", within_s=30)
            await procs[victim].kill()  # SIGKILL: no drain, unacknowledged messages stay queued
            assert set(await publish_all(publisher, burst.messages[half:])) == {0}
            procs[victim] = await UnsProcess(procs[victim].config).start()
            await procs[victim].wait_log(r"session present: True")
            got = await sink.wait_for(
                burst.governed, f"{ENTERPRISE}/plant/", within_s=60, unique=True
            )
    finally:
        codes = await stop_all(procs)
    assert codes == [0, 0, 0]
    assert_complete_and_ordered(by_topic(first_copies(got)), burst)


@pytest.mark.parametrize(
    ("raw", "per_node"),
    [(4_000, 200), pytest.param(17_000, 1_000, marks=pytest.mark.slow, id="20k")],
)
async def test_two_workers_enrich_a_burst_and_restart_a_dead_worker(
    broker: MosquittoProcess, tmp_path: Path, raw: int, per_node: int
) -> None:
    nodes = ["E2", "E4", "E7"]  # all owned by worker 1/2: worker 0/2 can die without a rebirth
    assert {owner(f"{GROUP}/{n}", 2) for n in nodes} == {1}
    root = models(tmp_path / "models", nodes)
    burst = Burst(nodes, raw=raw, per_node=per_node)
    config = write_settings(
        tmp_path / "workers.json", root, broker.port, "uns", workers=2, sparkplug=SPARKPLUG,
        metrics_port=0,
    )  # fmt: skip
    supervisor = await UnsProcess(config).start()
    try:
        metrics = await supervisor.wait_log(r"metrics on (http://\S+)/metrics")  # its own: first
        started = await supervisor.wait_log(r"worker 0/2 started \(pid (\d+)\)")
        for worker in range(2):  # each subscribed to one of its bindings
            k = next(k for k in range(BINDINGS) if owner(f"line-b{k}", 2) == worker)
            await supervisor.wait_log(rf"subscribed to .*raw/b{k}/")
        async with (
            sink_on(broker.port, [f"{ENTERPRISE}/#", NCMD]) as sink,
            endpoint(fast_settings(broker.port, "publisher")) as publisher,
        ):
            half = len(burst.messages) // 2
            assert set(await publish_all(publisher, burst.messages[:half])) == {0}
            await sink.wait_for(100, f"{ENTERPRISE}/plant/", within_s=30)
            os.kill(int(started[1]), signal.SIGKILL)
            assert set(await publish_all(publisher, burst.messages[half:])) == {0}
            await supervisor.wait_log(r"worker 0/2 exited with -9 .* restarting")
            got = await sink.wait_for(
                burst.governed, f"{ENTERPRISE}/plant/", within_s=60, unique=True
            )
            assert sink.on("spBv1.0/") == []
        restarted = [line for line in supervisor.lines if re.search(r"worker 0/2 started", line)]
        assert len(restarted) == 2
        status, text = await asyncio.to_thread(get, metrics[1] + "/metrics")
        assert status == 200
        assert 'uns_worker_restarts{partition="0/2"} 1.0' in text
        for partition in ("0/2", "1/2"):
            assert re.search(rf'uns_messages_received_total{{partition="{partition}"}} [1-9]', text)
        assert await asyncio.to_thread(get, metrics[1] + "/readyz") == (200, "ready\n")
    finally:
        if supervisor.returncode is None:
            supervisor.send(signal.SIGTERM)
        code = await supervisor.wait()
    assert code == 0, supervisor.log()
    assert_complete_and_ordered(by_topic(first_copies(got)), burst)


async def test_workers_exit_when_their_supervisor_is_killed(
    broker: MosquittoProcess, tmp_path: Path
) -> None:
    root = models(tmp_path / "models", [])
    config = write_settings(tmp_path / "workers.json", root, broker.port, "uns", workers=2)
    supervisor = await UnsProcess(config).start()
    pids: list[int] = []
    try:
        for i in range(2):
            pids.append(int((await supervisor.wait_log(rf"worker {i}/2 started \(pid (\d+)\)"))[1]))
        await supervisor.wait_log(r"subscribed to")
        supervisor.send(signal.SIGKILL)
        await supervisor.wait_log(r"the worker supervisor is gone: stopping")
        # Its stderr reaches end of file once the workers, which share it, have exited too.
        assert await supervisor.wait(within_s=20) == -signal.SIGKILL
        assert await asyncio.to_thread(still_alive_after, pids, 5.0) == []
    finally:
        await supervisor.kill()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def still_alive_after(pids: list[int], seconds: float) -> list[int]:
    """The pids still running after up to `seconds` (a process closes its files before it
    is gone from /proc)."""
    deadline = time.monotonic() + seconds
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def alive(pid: int) -> bool:
    """Running (not yet reaped zombies of another parent count as gone: they hold nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
