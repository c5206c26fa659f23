"""The client suite on a shared exchange such as ``nameko-rpc``: whether a routing key is routable there (the premise
of the unknown-service check, RPC-CALL-1, since another run's binding such as ``#`` could take any key), and
removing the exchange at the end only when nothing is bound to it.

The kit publishes one mandatory message on a confirm channel; the broker returns it when no queue takes it. The
message expires at once, so a queue that does take it keeps nothing.
"""

from __future__ import annotations

import pika
import pika.exceptions

PREMISE_BODY = b'{"conformance-kit": "routability probe; ignore"}'


def routable_on(amqp_uri: str, exchange: str, routing_key: str) -> bool | str:
    """True when a queue takes ``routing_key`` on ``exchange``, False when the broker returns it, or what went wrong
    (a string) when the kit could not tell."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    except pika.exceptions.AMQPError as exc:
        return f"no connection: {exc!r}"
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        try:
            channel.basic_publish(exchange, routing_key, PREMISE_BODY,
                                  pika.BasicProperties(expiration="1", content_type="application/json"),
                                  mandatory=True)
        except pika.exceptions.UnroutableError:
            return False
        return True
    except pika.exceptions.AMQPError as exc:
        return f"the publish failed: {exc!r}"
    finally:
        try:
            connection.close()
        except pika.exceptions.AMQPError:
            pass


def remove_if_unused(amqp_uri: str, exchange: str) -> None:
    """Deletes ``exchange`` when no queue is bound to it; leaves it to whoever still uses it, or to a broker that
    is gone already (a private node stopped first)."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        try:
            connection.channel().exchange_delete(exchange, if_unused=True)
        finally:
            connection.close()
    except pika.exceptions.AMQPError:
        pass
