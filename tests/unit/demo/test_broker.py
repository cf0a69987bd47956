"""Choosing a broker: external URLs as given, a wrong embedded choice refused."""

from __future__ import annotations

import pytest

from uns.demo.broker import Broker, start_embedded
from uns.errors import SettingsError


async def test_an_unknown_embedded_broker_is_refused() -> None:
    with pytest.raises(SettingsError, match="auto, mosquitto or amqtt"):
        await start_embedded("rabbitmq")


async def test_an_external_broker_prints_as_its_url_and_stops_as_a_no_op() -> None:
    broker = Broker("external", "mqtt://plant:1883", 5)
    await broker.stop()
    assert str(broker) == "mqtt://plant:1883"
    assert str(Broker("amqtt", "mqtt://127.0.0.1:1", 4)) == "amqtt at mqtt://127.0.0.1:1"
