"""A throw-away RabbitMQ node owned by the kit, so that the firehose can be switched on without touching a shared
broker.

The node runs from the server's own scripts (not the distribution's `/usr/sbin` wrappers, which switch to the
`rabbitmq` user and drop the environment) with its own node name, free AMQP and distribution ports, data and log
directories, `HOME` (hence its own Erlang cookie), no plugins and loopback-only listeners. It shares the host's
epmd, which is harmless: epmd only maps node names to ports.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pika

SCRIPT_DIR_ENV = "NAMEKO_CONFORMANCE_RABBITMQ_BIN"
_CANDIDATE_SCRIPT_DIRS = ("/usr/lib/rabbitmq/bin", "/usr/local/lib/rabbitmq/bin", "/opt/rabbitmq/sbin")
_STOP_TIMEOUT = 20.0
_LOG_TAIL_CHARS = 3000


class PrivateNodeError(RuntimeError):
    pass


def find_script_dir() -> Path | None:
    """The directory holding `rabbitmq-server` and `rabbitmqctl` scripts that keep the caller's environment."""
    candidates = [os.environ.get(SCRIPT_DIR_ENV)] + list(_CANDIDATE_SCRIPT_DIRS)
    for candidate in filter(None, candidates):
        directory = Path(candidate)
        if (directory / "rabbitmq-server").exists() and (directory / "rabbitmqctl").exists():
            return directory
    on_path = shutil.which("rabbitmq-server")
    if on_path:
        # Follow symlinks to the server's own sbin directory (the Debian wrapper is not a symlink and is skipped).
        real = Path(os.path.realpath(on_path)).parent
        if (real / "rabbitmqctl").exists() and (real / "rabbitmq-env").exists():
            return real
    return None


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_config(amqp_port: int) -> str:
    return "\n".join([
        f"listeners.tcp.default = 127.0.0.1:{amqp_port}",
        "loopback_users.guest = true",
        "log.console = false",
        "log.file.level = info",
        "",
    ])


class PrivateNode:
    """A private RabbitMQ node; use as a context manager, or call `start()` and `stop()`."""

    def __init__(self, *, name_prefix="nameko-kit", startup_timeout=60.0, erlang_cookie=None, extra_config=()):
        self.name_prefix = name_prefix
        self.startup_timeout = startup_timeout
        # Nodes of one cluster share a cookie; a lone node gets its own from Erlang.
        self.erlang_cookie = erlang_cookie
        self.extra_config = tuple(extra_config)  # more rabbitmq.conf lines, e.g. "max_message_size = 1048576"
        self.nodename = f"{name_prefix}-{uuid.uuid4().hex[:10]}@localhost"
        self.amqp_port: int | None = None
        self.dist_port: int | None = None
        self.amqp_url: str = ""
        self.version: str = ""
        self.startup_seconds: float | None = None
        self._dir: Path | None = None
        self._process: subprocess.Popen | None = None
        self._script_dir = find_script_dir()

    @staticmethod
    def available() -> bool:
        return find_script_dir() is not None

    # -- life cycle -------------------------------------------------------------------------------------------

    def __enter__(self) -> "PrivateNode":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> "PrivateNode":
        if self._process is not None:
            raise PrivateNodeError("node already started")
        if self._script_dir is None:
            raise PrivateNodeError(
                "no rabbitmq-server found: install RabbitMQ or point "
                f"{SCRIPT_DIR_ENV} at the directory holding rabbitmq-server and rabbitmqctl")
        self._dir = Path(tempfile.mkdtemp(prefix=f"{self.name_prefix}-node-"))
        self.amqp_port, self.dist_port = free_loopback_port(), free_loopback_port()
        self.amqp_url = f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/%2F"
        self._write_files()
        return self._launch()

    def _launch(self) -> "PrivateNode":
        started = time.monotonic()
        log = open(self._dir / "server.out", "wb")
        try:
            self._process = subprocess.Popen(
                [str(self._script_dir / "rabbitmq-server")],
                env=self._environment(), cwd=self._dir, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        try:
            self.version = self._await_amqp_handshake(started)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        self.thaw()  # a frozen node cannot act on SIGTERM
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # In the foreground the server script turns SIGTERM into an orderly shutdown of the VM.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=_STOP_TIMEOUT)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def kill(self) -> None:
        """SIGKILL the node, as a crash would; its data directory stays, so `restart()` can bring it back."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=_STOP_TIMEOUT)

    def freeze(self) -> None:
        """SIGSTOP the node: its sockets stay open but it answers nothing, like a hung broker."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGCONT)

    def restart(self, *, hard: bool = False, down_seconds: float = 0.0) -> "PrivateNode":
        """Stop the node (SIGTERM, or SIGKILL when `hard`) and start it again on the same ports and data."""
        if self._dir is None:
            raise PrivateNodeError("node not started")
        if hard:
            self.kill()
        else:
            self._terminate()
        time.sleep(down_seconds)
        return self._launch()

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=_STOP_TIMEOUT)

    def wait_for_amqp(self) -> None:
        """Wait until the (re)started node completes an AMQP handshake."""
        if self._process is None:
            raise PrivateNodeError("node not running")
        self.version = self._await_amqp_handshake(time.monotonic())

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- control ----------------------------------------------------------------------------------------------

    def ctl(self, *args: str) -> str:
        """Run rabbitmqctl against this node only and return its stdout; raises PrivateNodeError on failure."""
        if self._dir is None:
            raise PrivateNodeError("node not started")
        completed = subprocess.run(
            [str(self._script_dir / "rabbitmqctl"), "-n", self.nodename, *args],
            env=self._environment(), cwd=self._dir, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=60)
        if completed.returncode != 0:
            raise PrivateNodeError(
                f"rabbitmqctl {' '.join(args)} failed with {completed.returncode}: {completed.stderr.strip()}")
        return completed.stdout

    def url_for_vhost(self, vhost: str) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{quote(vhost, safe='')}"

    def log_tail(self) -> str:
        if self._dir is None:
            return ""
        texts = []
        for path in sorted(self._dir.rglob("*")):
            if path.is_file() and (path.suffix == ".log" or path.name == "server.out"):
                texts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-_LOG_TAIL_CHARS:]}")
        return "\n".join(texts)

    # -- internals --------------------------------------------------------------------------------------------

    def _write_files(self) -> None:
        home = self._dir / "home"
        home.mkdir()
        (self._dir / "rabbitmq.conf").write_text(
            loopback_config(self.amqp_port) + "".join(f"{line}\n" for line in self.extra_config))
        if self.erlang_cookie is not None:
            cookie = home / ".erlang.cookie"
            cookie.write_text(self.erlang_cookie)
            cookie.chmod(0o400)  # Erlang refuses a cookie file that others can read
        (self._dir / "enabled_plugins").write_text("[].\n")
        # An empty env file keeps the host's rabbitmq-env.conf (node name, flags) out of this node.
        (self._dir / "rabbitmq-env.conf").write_text("")

    def _environment(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("RABBITMQ_", "ERL_"))}
        base = self._dir
        env.update({
            "HOME": str(base / "home"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        })
        return env

    def _await_amqp_handshake(self, started: float) -> str:
        """Wait until the node completes a real AMQP handshake; return its RabbitMQ version."""
        deadline = started + self.startup_timeout
        params = pika.URLParameters(self.amqp_url)
        params.connection_attempts = 1
        params.socket_timeout = 2
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PrivateNodeError(
                    f"rabbitmq-server exited with {self._process.returncode} during start-up\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.amqp_port), timeout=0.5):
                    pass
                connection = pika.BlockingConnection(params)
            except (OSError, pika.exceptions.AMQPError) as error:
                last_error = error
                time.sleep(0.2)
                continue
            try:
                version = connection._impl.server_properties.get("version", b"")
            finally:
                connection.close()
            return version.decode() if isinstance(version, bytes) else str(version)
        raise PrivateNodeError(
            f"node {self.nodename} gave no AMQP handshake within {self.startup_timeout} s "
            f"(last error: {last_error!r})\n{self.log_tail()}")


class PrivateCluster:
    """A cluster of private nodes on this machine: each with its own node name, ports and data directory, all on
    127.0.0.1, sharing one Erlang cookie. The first node is the seed; the others `join_cluster` it.
    Use as a context manager, or call `start()` and `stop()`."""

    def __init__(self, size: int = 3, *, name_prefix="nameko-cluster", startup_timeout=90.0, extra_config=()):
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        cookie = uuid.uuid4().hex.upper()
        self.nodes = [PrivateNode(name_prefix=f"{name_prefix}{index}", startup_timeout=startup_timeout,
                                  erlang_cookie=cookie, extra_config=extra_config) for index in range(size)]
        self.startup_seconds: float | None = None

    @staticmethod
    def available() -> bool:
        return PrivateNode.available()

    def __enter__(self) -> "PrivateCluster":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def amqp_urls(self) -> list[str]:
        return [node.amqp_url for node in self.nodes]

    def start(self) -> "PrivateCluster":
        started = time.monotonic()
        errors: list[BaseException] = []

        def start_node(node):
            try:
                node.start()
            except BaseException as error:  # reported below, after every node has had its try
                errors.append(error)
        threads = [threading.Thread(target=start_node, args=(node,), daemon=True) for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            if errors:
                raise errors[0]
            seed = self.nodes[0]
            for node in self.nodes[1:]:
                node.ctl("stop_app")
                node.ctl("join_cluster", seed.nodename)
                node.ctl("start_app")
                node.wait_for_amqp()
            self._await_members(len(self.nodes))
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def running_members(self) -> list[str]:
        """Node names the cluster reports as running, asked of the first node that answers."""
        for node in self.nodes:
            if not node.running:
                continue
            try:
                output = node.ctl("cluster_status", "--formatter", "json")
            except PrivateNodeError:
                continue
            return list(json.loads(output[output.index("{"):]).get("running_nodes", []))
        return []

    def _await_members(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.running_members()) >= count:
                return
            time.sleep(0.5)
        raise PrivateNodeError(f"cluster did not reach {count} running nodes: {self.running_members()}")

    def stop(self) -> None:
        threads = [threading.Thread(target=node.stop, daemon=True) for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


class ExistingNode:
    """A node the caller owns and names (`--node-url`, `--ctl-node`): the same `ctl`/`amqp_url` surface as
    `PrivateNode`, for the firehose and the recorder. Never point it at a broker shared with others."""

    def __init__(self, amqp_url: str, nodename: str):
        self.amqp_url = amqp_url
        self.nodename = nodename
        self.version = ""
        self._script_dir = find_script_dir()

    def ctl(self, *args: str) -> str:
        executable = str(self._script_dir / "rabbitmqctl") if self._script_dir else "rabbitmqctl"
        completed = subprocess.run([executable, "-n", self.nodename, *args], stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=60)
        if completed.returncode != 0:
            raise PrivateNodeError(
                f"rabbitmqctl {' '.join(args)} failed with {completed.returncode}: {completed.stderr.strip()}")
        return completed.stdout

    def url_for_vhost(self, vhost: str) -> str:
        parts = urlsplit(self.amqp_url)
        return urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))
