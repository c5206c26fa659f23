"""Black-box conformance kit for the nameko AMQP wire protocol."""
