"""The mosquitto launcher's generated config (starting it is what every broker test does)."""

from __future__ import annotations

from pathlib import Path

from uns.demo.mosquitto import MosquittoProcess, free_port


def test_config_listens_on_loopback_and_keeps_everything_in_the_workdir(tmp_path: Path) -> None:
    broker = MosquittoProcess("mosquitto", tmp_path, 18830)
    lines = broker.config().splitlines()
    assert lines[0] == "listener 18830 127.0.0.1"
    assert "persistence false" in lines
    assert f"persistence_location {tmp_path}/" in lines
    assert f"log_dest file {tmp_path / 'mosquitto.log'}" in lines
    assert broker.url == "mqtt://127.0.0.1:18830"


def test_extra_lines_come_last_so_listener_options_apply_to_the_listener(tmp_path: Path) -> None:
    broker = MosquittoProcess(
        "mosquitto", tmp_path, 1, persistence=True, extra=("max_queued_messages 0", "a b")
    )
    lines = broker.config().splitlines()
    assert "persistence true" in lines
    assert lines[-2:] == ["max_queued_messages 0", "a b"]


def test_free_port_is_a_port_number() -> None:
    assert 0 < free_port() < 65536


def test_a_broker_never_started_is_not_running_and_stops_quietly(tmp_path: Path) -> None:
    broker = MosquittoProcess("mosquitto", tmp_path, 1)
    assert not broker.running()
    broker.stop()
    broker.kill()
    broker.resume()
    assert broker.log() == ""
