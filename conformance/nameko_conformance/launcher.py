"""Starts a target command under the testee launch contract, waits until ``echo`` answers, stops it."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nameko_conformance.amqp import KitPeer
from nameko_conformance.outcomes import KitFault
from nameko_conformance.trace import Trace
from nameko_conformance.uri import Target

REFERENCE_COMMAND = f"{shlex.quote(sys.executable)} -m nameko_reference.testee"
READY_TIMEOUT = 30.0


class LaunchedTarget:
    def __init__(self, command: str, target: Target):
        self.command, self.target = command, target
        self.log = Path(tempfile.mkstemp(prefix="nameko-conformance-target-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "NAMEKO_CONFORMANCE_AMQP_URI": self.target.broker_uri,
            "NAMEKO_CONFORMANCE_SERVICE": self.target.service,
            "NAMEKO_CONFORMANCE_RPC_EXCHANGE": self.target.rpc_exchange,
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def start(self) -> "LaunchedTarget":
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.command, shell=True, env=self.environment(), stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.wait_until_serving()
        return self

    def wait_until_serving(self, timeout: float = READY_TIMEOUT) -> float:
        """Seconds until ``echo`` answered; repeats a mandatory publish until the service queue routes it."""
        started = time.monotonic()
        peer = KitPeer(self.target.connection_parameters(), self.target.rpc_exchange, self.target.service, Trace())
        try:
            while time.monotonic() - started < timeout:
                if not self.alive():
                    raise KitFault(f"the target command exited with {self.process.returncode} before serving:\n"
                                   f"{self.output_tail()}")
                probe = peer.factory.request("echo", ["ready?"])
                if peer.is_routable(probe):
                    if peer.wait_for(lambda m: m.properties.get("correlation_id") == probe.correlation_id,
                                     timeout=max(0.1, timeout - (time.monotonic() - started))):
                        return time.monotonic() - started
                peer.pump(0.1)
        finally:
            peer.close()
        raise KitFault(f"the target did not answer echo within {timeout:.0f}s:\n{self.output_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    def stop(self, grace: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        except ProcessLookupError:
            pass
