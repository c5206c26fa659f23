#!/usr/bin/env python
"""Builds the third-party port adapters under ``ports/`` and says how to launch them.

Each port folder has a ``port.json`` (name, version, how to build, the testee and driver commands, what the port
lacks). Builds are cached outside the checkout, in ``$NAMEKO_WIRE_KIT_CACHE`` (default
``~/.cache/nameko-wire-kit``): cargo's target dir ``cargo/``, one venv per port and requirements digest under
``venvs/``; build output goes to ``logs/<port>.log`` and only its tail is shown, on failure. A fresh machine builds
everything from the registries (crates.io, PyPI); a warm one only checks.

    python ports/build.py                 # build every port, print {name: {testee, driver, capabilities}} as JSON
    python ports/build.py girolle         # one port
    python ports/build.py --command girolle driver   # print one launch command (building first)

Standard library only, so any Python 3.9+ runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PORTS_DIR = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("NAMEKO_WIRE_KIT_CACHE") or Path.home() / ".cache" / "nameko-wire-kit")
LOG_TAIL_LINES = 40


class BuildError(RuntimeError):
    """A port's adapter could not be built; the message ends with the tail of its build log."""


@dataclass
class Port:
    name: str
    directory: Path
    manifest: dict

    @property
    def version(self) -> str:
        return self.manifest["version"]


@dataclass
class Built:
    port: Port
    testee: str | None
    driver: str | None
    capabilities: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict:
        return {"version": self.port.version, "testee": self.testee, "driver": self.driver,
                "capabilities": self.capabilities, "build_seconds": round(self.seconds, 1)}


def load_ports(names: list[str] | None = None) -> list[Port]:
    ports = [Port(path.parent.name, path.parent, json.loads(path.read_text("utf-8")))
             for path in sorted(PORTS_DIR.glob("*/port.json"))]
    if names:
        unknown = sorted(set(names) - {port.name for port in ports})
        if unknown:
            raise SystemExit(f"unknown port(s): {', '.join(unknown)}; known: {', '.join(p.name for p in ports)}")
        ports = [port for port in ports if port.name in names]
    return ports


@contextlib.contextmanager
def _locked(name: str):
    """One build of a port at a time across processes (the matrix and the smoke test may build together)."""
    (CACHE / "locks").mkdir(parents=True, exist_ok=True)
    with open(CACHE / "locks" / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _run_logged(command: list[str], log: Path, **kwargs) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {shlex.join(command)}\n")
        out.flush()
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs)
    if done.returncode:
        tail = "\n".join(log.read_text("utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:])
        raise BuildError(f"{shlex.join(command)} exited with {done.returncode} (log: {log}):\n{tail}")


def _build_cargo(port: Port, log: Path) -> dict[str, str]:
    cargo = shutil.which("cargo")
    if not cargo:
        raise BuildError(f"{port.name}: cargo is not installed (the port is a Rust crate)")
    target = CACHE / "cargo"
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_TERM_COLOR="never")
    _run_logged([cargo, "build", "--release", "--locked", "--quiet",
                 "--manifest-path", str(port.directory / port.manifest["build"]["manifest"])], log, env=env)
    return {"cargo_target": str(target)}


def _python(version: str) -> str:
    """An interpreter of that minor version: pyenv's (its shims exist for every version but run only the active
    one), else one on PATH that really is that version."""
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True)
        installed = [v.strip() for v in done.stdout.splitlines() if v.strip().startswith(version + ".")]
        for candidate in sorted(installed, key=lambda v: [int(x) for x in v.split(".") if x.isdigit()],
                                reverse=True):
            prefix = subprocess.run([pyenv, "prefix", candidate], capture_output=True, text=True).stdout.strip()
            if prefix and (Path(prefix) / "bin" / "python").exists():
                return str(Path(prefix) / "bin" / "python")
    found = shutil.which(f"python{version}")
    if found:
        probe = subprocess.run([found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return found
    raise BuildError(f"no Python {version} interpreter found (tried pyenv and python{version} on PATH)")


def _build_venv(port: Port, log: Path) -> dict[str, str]:
    spec = port.manifest["build"]
    requirements = (port.directory / spec["requirements"]).read_bytes()
    digest = hashlib.sha256(requirements + spec["python"].encode() + repr(spec).encode()).hexdigest()[:12]
    venv = CACHE / "venvs" / f"{port.name}-{digest}"
    complete = venv / ".complete"
    if not complete.exists():
        shutil.rmtree(venv, ignore_errors=True)
        _run_logged([_python(spec["python"]), "-m", "venv", str(venv)], log)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
        # Old sdists build with the venv's own setuptools (--no-build-isolation): current setuptools rejects
        # their metadata, and setuptools 81 dropped pkg_resources, which nameko 2 imports.
        _run_logged(pip + ["install", "setuptools<81", "wheel"], log)
        isolation = ["--no-build-isolation"] if spec.get("no_build_isolation") else []
        _run_logged(pip + ["install", *isolation, "-r", str(port.directory / spec["requirements"])], log)
        complete.write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    return {"venv": str(venv)}


BUILDERS = {"cargo": _build_cargo, "venv": _build_venv}


def build(port: Port) -> Built:
    """Builds (or checks the cache of) one port and returns its launch commands."""
    started = time.monotonic()
    (CACHE / "logs").mkdir(parents=True, exist_ok=True)
    log = CACHE / "logs" / f"{port.name}.log"
    log.write_text(f"build of {port.name} {port.version}\n", "utf-8")
    kind = port.manifest["build"]["kind"]
    if kind not in BUILDERS:
        raise BuildError(f"{port.name}: unknown build kind {kind!r}")
    with _locked(port.name):
        values = BUILDERS[kind](port, log)
    values["port_dir"] = str(port.directory)

    def command(role: str) -> str | None:
        entry = port.manifest.get(role)
        return entry["command"].format(**values) if entry else None

    testee = port.manifest.get("testee") or {}
    return Built(port, command("testee"), command("driver"), list(testee.get("capabilities", [])),
                 time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ports", nargs="*", help="port names (default: all)")
    parser.add_argument("--command", nargs=2, metavar=("PORT", "ROLE"), help="print one command: ROLE is testee "
                                                                             "or driver")
    args = parser.parse_args(argv)
    if args.command:
        name, role = args.command
        built = build(load_ports([name])[0])
        value = {"testee": built.testee, "driver": built.driver}.get(role)
        if not value:
            print(f"{name} has no {role}", file=sys.stderr)
            return 2
        print(value)
        return 0
    results, failed = {}, False
    for port in load_ports(args.ports):
        try:
            results[port.name] = build(port).as_json()
        except BuildError as error:
            failed = True
            results[port.name] = {"error": str(error)}
            print(f"{port.name}: build failed: {error}", file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
