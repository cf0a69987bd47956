from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.formats.wire import binding
from uns.formats.sparkplug import SPARKPLUG, host_quality


@pytest.mark.parametrize("topic", ["spBv1.0/{group}/{node}", "spBv1.0/plant/{node}/{device}"])
def test_binding_names_an_edge_node_or_device(topic: str) -> None:
    assert SPARKPLUG.check(binding(format="sparkplug", topic=topic)) is None


@pytest.mark.parametrize(
    "topic", ["spBv1.0/g/NDATA/n/d/x", "spBv1.0/{group}", "raw/{group}/{node}"]
)
def test_other_topics_are_refused(topic: str) -> None:
    problem = SPARKPLUG.check(binding(format="sparkplug", topic=topic))
    assert problem is not None
    assert problem.startswith("a sparkplug binding's topic is 'spBv1.0/{group}/{node}'")


@given(st.sampled_from(["good", "uncertain", "bad", "stale"]))
def test_the_hosts_quality_is_trusted_whatever_quality_format_says(word: str) -> None:
    assert host_quality(word) == word  # uns.sparkplug.samples normalised it already
    assert SPARKPLUG.quality_parser("opcua")(word) == word


def test_decoded_by_the_host_not_per_binding() -> None:
    assert SPARKPLUG.decoder is None
    assert SPARKPLUG.encode is None
    assert SPARKPLUG.host_routed
    assert SPARKPLUG.nullable
    assert SPARKPLUG.batch
