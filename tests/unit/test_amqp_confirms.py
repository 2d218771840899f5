"""shared/amqp_confirms.py: which unconfirmed messages one broker confirm settles."""
from pika.spec import Basic

from shared.amqp_confirms import settled_tags


def test_a_single_confirm_settles_its_own_tag_and_a_multiple_one_every_tag_up_to_it():
    outstanding = {3: "c", 4: "d", 6: "f", 9: "i"}
    assert settled_tags(outstanding, Basic.Ack(delivery_tag=6, multiple=False)) == [6]
    assert settled_tags(outstanding, Basic.Nack(delivery_tag=6, multiple=True)) == [3, 4, 6]
    assert settled_tags(outstanding, Basic.Ack(delivery_tag=2, multiple=True)) == []
