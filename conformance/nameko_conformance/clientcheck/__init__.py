"""Client-side conformance: a kit-hosted probe service and the runner for a port's client driver.

The probe (`probe_service.ProbeService`) serves a service on raw pika, records every request exactly as the
broker delivered it, and answers each call according to a behaviour (`behaviours`). The runner
(`driver.run_driver`) launches the port's driver command with one job and reads its outcome document (from the
outcome file, else standard output); `reply_queue` asks the broker about the client's reply queue. Nothing here
judges: `oracle.client` and `oracle.driver` do (chapter 16 and the client rules).
"""
