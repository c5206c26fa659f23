"""Broker-side observation: private RabbitMQ nodes, the firehose tracer, spy queues, the recorder."""
