"""The sans-I/O core does not import pika."""

import re
import subprocess
import sys
from pathlib import Path

import nameko_reference

CORE = ["nameko_reference", "nameko_reference.names", "nameko_reference.codec", "nameko_reference.errors",
        "nameko_reference.context", "nameko_reference.server_core", "nameko_reference.client_core"]


def test_core_modules_leave_pika_out():
    """Importing every module except transport and the modules built on it leaves pika out of sys.modules."""
    code = "import sys\n" + "".join(f"import {name}\n" for name in CORE) + (
        "print(' '.join(m for m in sys.modules if m.split('.')[0] == 'pika'))\n")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == ""


def test_transport_does_import_pika():
    """The check above can fail: importing transport brings pika in."""
    code = "import sys, nameko_reference.transport; print('pika' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "True"


def test_core_sources_import_no_io():
    """No core module imports pika, socket, select, selectors or threading itself."""
    package = Path(nameko_reference.__file__).parent
    for name in CORE[1:]:
        source = (package / f"{name.rsplit('.', 1)[1]}.py").read_text()
        assert not re.search(r"^\s*(import|from)\s+(pika|socket|select|selectors|threading)\b", source, re.M), name
