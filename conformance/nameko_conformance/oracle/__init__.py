"""The kit's one oracle: every judgement about what was observed, as pure functions.

A check takes observations (messages, declare outcomes, driver outcomes) and returns a ``Judgement``: the
requirement IDs it examined and the findings it made (requirement, stable code, expected, observed, the messages
involved). Nothing here does I/O; the suite gathers observations and hands them over, and ``verdicts`` turns the
judgements of a whole run into one verdict per requirement.
"""

from nameko_conformance.oracle.model import Check, Finding, Judgement  # noqa: F401
