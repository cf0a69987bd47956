"""What a resumed session gives up instead of sending again (uns.io.resend)."""

from __future__ import annotations

from uns.io.resend import NOT_AUTHORIZED, POISON_AFTER, UNSPECIFIED, Publish, give_up


def _publish(topic: str, blamed: int = 0) -> Publish:
    return Publish(topic, b"{}", 1, False, None, None, blamed=blamed)


def test_publishes_to_a_topic_refused_moments_ago_settle_as_not_authorized() -> None:
    refused, fine = _publish("acme/s1/state"), _publish("acme/s2/state")
    out = give_up([refused, fine], lambda topic: topic.startswith("acme/s1/"))
    assert out == [(refused, NOT_AUTHORIZED)]


def test_a_publish_first_in_line_at_each_of_several_losses_is_given_up() -> None:
    almost, poison = _publish("a", POISON_AFTER - 1), _publish("b", POISON_AFTER)
    assert give_up([almost, poison], None) == [(poison, UNSPECIFIED)]
    assert UNSPECIFIED >= 0x80  # a refusal code: the service dead-letters it


def test_nothing_is_given_up_on_a_healthy_resume() -> None:
    assert give_up([_publish("a"), _publish("b", 1)], lambda topic: False) == []
