"""Starts a target command under the testee launch contract, waits until ``echo`` answers, stops it."""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nameko_conformance.amqp import KitPeer
from nameko_conformance.oracle import names, session as session_checks
from nameko_conformance.oracle.model import Judgement
from nameko_conformance.outcomes import KitFault
from nameko_conformance.trace import Trace
from nameko_conformance.uri import Target

REFERENCE_COMMAND = f"{shlex.quote(sys.executable)} -m nameko_reference.testee"
READY_TIMEOUT = 30.0
PLAIN_WAIT = 3.0  # how long one readiness echo waits before the next one also looks for misrouted replies


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # resolved here: the child between fork and exec must not import (the probe's thread runs)
# bash runs a lone simple command by exec, so the death signal above reaches the target itself; dash keeps a shell
# in between, and the target would outlive a killed kit.
SHELL = shutil.which("bash") or "/bin/sh"
_RUNNING: "set[LaunchedTarget]" = set()


@atexit.register
def _stop_leftovers() -> None:
    """Whatever ended the kit's run (an internal error of pytest skips the fixtures' teardown), the targets it
    started stop with its interpreter."""
    for target in list(_RUNNING):
        try:
            target.stop(grace=5.0)
        except Exception:  # noqa: BLE001 - exiting anyway; the next one still gets its signal
            pass


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, the target gets SIGTERM when the kit's process dies, however it dies
    (killed by a CI timeout, say), so not even a kit killed with SIGKILL leaves its target running. The signal
    survives exec, so it reaches the command the shell execs (``exec ...``, or a lone simple command)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class NeverServed(KitFault):
    """The target never served, and its output says why in the protocol's terms: ``judgement`` is its finding."""

    def __init__(self, what: str, judgement: Judgement):
        super().__init__(f"{what}: {'; '.join(f.message for f in judgement.findings)}")
        self.judgement = judgement


class LaunchedTarget:
    def __init__(self, command: str, target: Target):
        self.command, self.target = command, target
        self.log = Path(tempfile.mkstemp(prefix="nameko-conformance-target-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None
        self.readiness = Judgement()  # what the readiness check found wrong with the target (its findings)
        self.misrouted_binding: str | None = None  # the key that catches replies this target publishes wrongly

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "NAMEKO_CONFORMANCE_AMQP_URI": self.target.broker_uri,
            "NAMEKO_CONFORMANCE_SERVICE": self.target.service,
            "NAMEKO_CONFORMANCE_RPC_EXCHANGE": self.target.rpc_exchange,
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def start(self, timeout: float = READY_TIMEOUT) -> "LaunchedTarget":
        """Starts the command and waits until it serves. Whatever happens, a target that does not serve is stopped
        before this raises: the kit never leaves a process of its own behind."""
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.command, shell=True, executable=SHELL, env=self.environment(),
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True, preexec_fn=_die_with_parent)
        _RUNNING.add(self)
        try:
            self.wait_until_serving(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_serving(self, timeout: float = READY_TIMEOUT) -> float:
        """Seconds until ``echo`` answered; repeats a mandatory publish until the service queue routes it.

        Any answer counts as serving, and what was wrong with it is kept in ``readiness`` (a reply through the
        default exchange or on another key: RPC-REPLY-1; one with a correlation id the kit never sent:
        RPC-REPLY-2) for the suite to report as the target's findings. An echo unanswered for
        ``PLAIN_WAIT`` seconds is tried again with a catch-all stray catcher bound for a moment, which sees a
        reply published on a wrong key. A target that exits, or never answers, and whose output shows the broker
        refusing its declaration of the RPC exchange raises ``NeverServed`` carrying that TOPO-2 finding; any
        other failure to serve is a ``KitFault``."""
        started = time.monotonic()
        peer = KitPeer(self.target.connection_parameters(), self.target.rpc_exchange, self.target.service, Trace(),
                       stray_binding="")
        attempts = 0
        try:
            while time.monotonic() - started < timeout:
                if not self.alive():
                    self._never_served(f"the target command exited with {self.process.returncode} before serving")
                wide = attempts % 2 == 1  # every other attempt looks for a reply on a wrong key too
                # The readiness echo looks like what a nameko client sends (a call id stack included), so a target
                # that needs headers still comes up; the suite judges a request without them (CTX-8) on its own.
                probe = peer.factory.request("echo", ["ready?"],
                                             headers={names.CALL_ID_STACK_HEADER: ["conformance_kit.ready.0"]})
                if wide:
                    peer.bind_stray_catcher("#")
                try:
                    if peer.is_routable(probe):
                        attempts += 1
                        left = timeout - (time.monotonic() - started)
                        # Through the catch-all binding other services' traffic comes too: only an answer ends the wait.
                        peer.wait_for(lambda m: m.via != session_checks.STRAY_CATCHER
                                      or m.properties.get("correlation_id") in peer.sent_correlation_ids(),
                                      timeout=max(0.1, min(PLAIN_WAIT, left)))
                        judgement = session_checks.readiness(peer.received, peer.reply_key, peer.rpc_exchange,
                                                             peer.sent_correlation_ids())
                        if judgement.value is not None:
                            self.readiness = judgement
                            self.misrouted_binding = self._misrouted_binding(judgement, peer)
                            return time.monotonic() - started
                finally:
                    if wide:
                        peer.unbind_stray_catcher("#")
                peer.pump(0.1)
        finally:
            peer.close()
        self._never_served(f"the target did not answer echo within {timeout:.0f}s")
        raise AssertionError("unreachable")

    @staticmethod
    def _misrouted_binding(judgement, peer: KitPeer) -> str | None:
        """The binding key that catches this target's replies when it publishes them on a wrong key: the key it
        used, with the kit's reply_to standing for each peer's own. None when the key cannot be predicted (it
        carries the request's correlation id), or the replies are not misrouted."""
        reply = judgement.value
        if not any(f.code == "RPC-REPLY-1/wrong-routing-key" for f in judgement.findings):
            return None
        key = reply.routing_key
        correlation_id = reply.properties.get("correlation_id")
        if correlation_id and correlation_id in key:
            return None
        return key.replace(peer.reply_key, "{reply_key}")

    def _never_served(self, what: str) -> None:
        refused = session_checks.refused_declaration(self.output_tail(400), self.target.rpc_exchange)
        if refused.findings:
            self.readiness = refused
            raise NeverServed(what, refused)
        raise KitFault(f"{what}:\n{self.output_tail()}")

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended (None while it runs, or before it started)."""
        return None if self.process is None else self.process.poll()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    def stop(self, grace: float = 10.0) -> None:
        _RUNNING.discard(self)
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
