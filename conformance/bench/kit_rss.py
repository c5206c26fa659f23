"""Runs ``nameko-conformance`` in this process and writes the kit's own peak RSS (KiB) to the file named by
``KIT_RSS_FILE``: the figure excludes the target process, which ``/usr/bin/time`` or RUSAGE_CHILDREN would count
in.  Usage: ``python kit_rss.py run --target-cmd ... --report-dir ...``."""

from __future__ import annotations

import os
import resource
import sys

from nameko_conformance.cli import main

if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    finally:
        path = os.environ.get("KIT_RSS_FILE")
        if path:
            with open(path, "w", encoding="ascii") as out:
                out.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    sys.exit(code)
