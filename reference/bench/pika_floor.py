"""The raw-pika floor: the same message shapes, publisher confirms and `mandatory`, nothing else.

`python pika_floor.py serve AMQP_URI SERVICE` runs the echo server; `PikaClient` is the client.
"""

import json
import sys
import uuid

import pika

EXCHANGE = "nameko-rpc"


def serve(uri, service):
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, "topic", durable=True)
    channel.queue_declare(f"rpc-{service}", durable=True)
    channel.queue_bind(f"rpc-{service}", EXCHANGE, f"{service}.*")
    channel.basic_qos(prefetch_count=100)
    channel.confirm_delivery()

    def on_request(ch, method, properties, body):
        request = json.loads(body)
        reply = json.dumps({"result": [request["args"], request["kwargs"]], "error": None}).encode()
        ch.basic_publish(EXCHANGE, properties.reply_to, reply, pika.BasicProperties(
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            correlation_id=properties.correlation_id))  # waits for the confirm
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(f"rpc-{service}", on_request)
    print("serving", flush=True)
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        pass


class PikaClient:
    def __init__(self, uri, service):
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.reply_to = str(uuid.uuid4())
        self.queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.queue, EXCHANGE, self.reply_to)
        self.channel.basic_consume(self.queue, self._on_reply, auto_ack=True)
        self.routing_key = f"{service}.echo"
        self.replies = {}
        self.stack = [f"pika_floor.call.{uuid.uuid4()}"]

    def _on_reply(self, ch, method, properties, body):
        self.replies[properties.correlation_id] = json.loads(body)

    def send(self, args, kwargs):
        correlation_id = str(uuid.uuid4())
        self.channel.basic_publish(EXCHANGE, self.routing_key, json.dumps({"args": args, "kwargs": kwargs}).encode(),
                                   pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                                        delivery_mode=2, correlation_id=correlation_id,
                                                        reply_to=self.reply_to,
                                                        headers={"nameko.call_id_stack": self.stack}),
                                   mandatory=True)  # waits for the confirm; raises when returned
        return _Handle(self, correlation_id)

    def call(self, args, kwargs):
        return self.send(args, kwargs).result()

    def close(self):
        self.connection.close()


class _Handle:
    def __init__(self, client, correlation_id):
        self.client, self.correlation_id = client, correlation_id

    def result(self):
        while self.correlation_id not in self.client.replies:
            self.client.connection.process_data_events(time_limit=None)
        return self.client.replies.pop(self.correlation_id)["result"]


if __name__ == "__main__" and sys.argv[1] == "serve":
    serve(sys.argv[2], sys.argv[3])
