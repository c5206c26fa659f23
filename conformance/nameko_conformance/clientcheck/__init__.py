"""Client-side conformance: a kit-hosted probe service and the runner for a port's client driver.

The probe (`probe_service.ProbeService`) serves a service on raw pika, records every request exactly as the
broker delivered it, and answers each call according to a behaviour (`behaviours`). The runner
(`driver.run_driver`) launches the port's driver command with one job and checks its outcome document against
the driver contract (DRIVER-1 … DRIVER-7).
"""
