"""The conformance suite: one module per spec chapter; every test cites the requirement IDs it checks."""
