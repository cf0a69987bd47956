"""Every dead-letter reason docs/payload.md lists, each made to happen and observed.

REASON_TESTS maps each documented reason to the test that exercises it; the last test reads
the reason table from docs/payload.md and fails when a reason has no entry (or the table lost
one). The rate-limited log and its interval are checked against docs/operations.md.
"""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest

from tests.documented import deadletter_reasons, log_interval_s
from uns.config.loader import load_model
from uns.context.production import ContextStore
from uns.logs import RateLimitedLog
from uns.model.namespace import Namespace
from uns.pipeline import Enricher, Outgoing

MODEL = Path(__file__).resolve().parents[1] / "data" / "models" / "deadletters"
NOW = 1_774_346_400_000
MAX_PAYLOAD = 200
MAX_TOPIC = 60


def _kepware(*ids: str) -> bytes:
    return orjson.dumps(
        {"timestamp": NOW, "values": [{"id": i, "v": n} for n, i in enumerate(ids)]}
    )


# reason -> (raw topic, payload, words the dead letter's detail must contain)
CASES: dict[str, tuple[str, bytes, str]] = {
    "no_binding": ("nothing/binds/this", b"1", "no binding"),
    "unknown_code": ("raw/kep", _kepware("O9.TT1"), "'O9'"),
    "unknown_id": ("raw/kep", _kepware("nodot"), "id 'nodot' does not match"),
    "unknown_equipment": ("raw/json/oven-9/temperature", b'{"v": 1}', "'s1/a/l1/oven-9'"),
    "unknown_raw_tag": ("raw/kep", _kepware("O1.XX"), "raw tag 'XX'"),
    "unknown_tag": ("raw/json/oven-1/humidity", b'{"v": 1}', "'humidity' is not a tag"),
    "unknown_scope": ("mes/l9/batch", b'{"batch_id": "B-1"}', "scope 's1/a/l9'"),
    "payload_too_large": (
        "raw/json/oven-1/temperature",
        b'{"v": "' + b"x" * MAX_PAYLOAD + b'"}',
        "> 200",
    ),
    "empty_payload": ("raw/json/oven-1/temperature", b"", "empty"),
    "not_utf8": ("raw/json/oven-1/temperature", b"\xff\xfe", "UTF-8"),
    "bad_json": ("raw/json/oven-1/temperature", b"{nope", "JSON"),
    "bad_shape": ("raw/json/oven-1/temperature", b"[1]", "JSON object"),
    "missing_value": ("raw/json/oven-1/temperature", b'{"x": 1}', "'v'"),
    "missing_name": ("raw/records", b'{"items": [{"val": 1}]}', "no name"),
    "empty_batch": ("raw/records", b'{"items": []}', "no values"),
    "topic_too_long": ("raw/json/oven-1/" + "x" * MAX_TOPIC, b'{"v": 1}', "> 60"),
    "bad_value": ("raw/json/oven-1/temperature", b'{"v": "hot"}', "'hot'"),
    "duplicate_key": ("raw/json/oven-1/temperature", b'{"v": 1, "v": 2}', "'v' appears twice"),
    "bad_timestamp": ("raw/json/oven-1/temperature", b'{"v": 1, "ts": "yesterday"}', "'yesterday'"),
    "bad_quality": ("raw/json/oven-1/temperature", b'{"v": 1, "q": [1]}', "temperature"),
    "bad_event": ("mes/l1/order", b'{"order": "O-1", "event": "PAUSE"}', "'PAUSE'"),
    "bad_unit": ("raw/mass/oven-1/temperature", b"1", "'kg'"),
}

# Which test makes each documented reason happen.
REASON_TESTS = dict.fromkeys(CASES, "test_each_reason_is_dead_lettered_under_its_name")
REASON_TESTS["context_value_too_long"] = "test_an_overlong_context_value_is_refused"
REASON_TESTS["internal_error"] = (
    "tests/integration/test_deadletter_internal_error.py::"
    "test_a_bug_while_enriching_dead_letters_the_message_as_internal_error"
)


@pytest.fixture(scope="module")
def namespace() -> Namespace:
    return load_model(MODEL)


@pytest.fixture
def enricher(namespace: Namespace) -> Enricher:
    return Enricher(namespace, ContextStore(), max_payload=MAX_PAYLOAD, max_topic=MAX_TOPIC)


def _dead(outs: list[Outgoing]) -> list[tuple[str, dict[str, object]]]:
    return [(o.topic, orjson.loads(o.payload)) for o in outs if o.kind == "deadletter"]


def test_a_good_message_of_the_model_is_enriched(enricher: Enricher) -> None:
    # The cases below fail for their own reason, not because the model is broken.
    outs = enricher.process("raw/json/oven-1/temperature", b'{"v": 1}', NOW)
    assert [o.kind for o in outs] == ["enriched"]
    outs = enricher.process("raw/kep", _kepware("O1.TT1"), NOW)
    assert [o.kind for o in outs] == ["enriched"]


@pytest.mark.parametrize("reason", list(CASES))
def test_each_reason_is_dead_lettered_under_its_name(enricher: Enricher, reason: str) -> None:
    topic, payload, detail = CASES[reason]
    outs = enricher.process(topic, payload, NOW)
    assert [o.kind for o in outs] == ["deadletter"]
    assert outs[0].reason == reason
    [(governed, body)] = _dead(outs)
    assert governed == f"dl/_deadletter/{reason}"
    assert body["reason"] == reason
    shown = str(body["topic"])
    if reason == "topic_too_long":  # kept short in the dead letter, marked as cut
        assert shown.endswith("...")
        assert topic.startswith(shown.removesuffix("..."))
    else:
        assert shown == topic
    assert detail in str(body["detail"])


def test_an_overlong_context_value_is_refused(namespace: Namespace) -> None:
    enricher = Enricher(namespace, ContextStore(), max_context_value=20)
    fits = enricher.process("mes/l1/batch", b'{"batch_id": "' + b"B" * 20 + b'"}', NOW)
    assert [o.kind for o in fits] == []  # a context update publishes nothing
    long_id = b"C" * 21
    outs = enricher.process("mes/l1/batch", b'{"batch_id": "' + long_id + b'"}', NOW + 1)
    assert [o.reason for o in outs] == ["context_value_too_long"]
    [(governed, body)] = _dead(outs)
    assert governed == "dl/_deadletter/context_value_too_long"
    assert "21 characters (> 20)" in str(body["detail"])
    # the context stays as it was: the next value still carries the batch that fitted
    [enriched] = enricher.process("raw/json/oven-1/temperature", b'{"v": 1}', NOW + 2)
    assert orjson.loads(enriched.payload)["context"]["batch"] == "B" * 20


def test_a_batch_dead_letters_once_per_reason_naming_each_value(enricher: Enricher) -> None:
    payload = _kepware("O1.XX", "O1.TT1", "O1.YY", "nodot", "O9.TT1", "O8.TT1")
    outs = enricher.process("raw/kep", payload, NOW)
    assert sorted(o.reason or "enriched" for o in outs) == [
        "enriched",
        "unknown_code",
        "unknown_id",
        "unknown_raw_tag",
    ]
    details = {str(b["reason"]): str(b["detail"]) for _, b in _dead(outs)}
    assert "'XX'" in details["unknown_raw_tag"]
    assert "'YY'" in details["unknown_raw_tag"]
    assert "'O9'" in details["unknown_code"]
    assert "'O8'" in details["unknown_code"]
    assert "'nodot'" in details["unknown_id"]


def test_every_documented_reason_has_a_test_that_makes_it_happen() -> None:
    documented = deadletter_reasons()
    assert len(documented) == len(set(documented))
    assert set(documented) == set(REASON_TESTS)
    root = Path(__file__).resolve().parents[2]
    for where in set(REASON_TESTS.values()):
        path, _, name = where.rpartition("::")
        source = (root / path).read_text(encoding="utf-8") if path else Path(__file__).read_text()
        assert f"def {name}(" in source, where


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_problems_are_logged_once_per_reason_per_documented_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    interval = log_interval_s()
    clock = _Clock()
    limited = RateLimitedLog(logging.getLogger("uns.service"), clock=clock)  # default interval
    caplog.set_level(logging.WARNING, logger="uns.service")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records]

    limited.warning("bad_json", "dead-lettered %r: %s", "a", "bad_json")
    limited.warning("bad_json", "dead-lettered %r: %s", "b", "bad_json")
    limited.warning("no_binding", "dead-lettered %r: %s", "c", "no_binding")
    clock.now += interval - 0.001
    limited.warning("bad_json", "dead-lettered %r: %s", "d", "bad_json")
    assert lines() == ["dead-lettered 'a': bad_json", "dead-lettered 'c': no_binding"]
    clock.now += 0.001  # the interval has passed since the first bad_json line
    limited.warning("bad_json", "dead-lettered %r: %s", "e", "bad_json")
    assert lines()[2:] == ["dead-lettered 'e': bad_json (+2 similar since last report)"]
