"""The exceptions that carry a test's outcome to the plugin: target failure, inconclusive check, kit fault."""

from __future__ import annotations


class ConformanceFailure(AssertionError):
    """The target broke a requirement. ``requirements`` narrows which of the test's cited IDs failed."""

    def __init__(self, message: str, requirements: tuple[str, ...] | list[str] | str | None = None):
        super().__init__(message)
        if isinstance(requirements, str):
            requirements = (requirements,)
        self.requirements = tuple(requirements or ())


class Inconclusive(Exception):
    """The kit could not observe what the requirement needs on this broker; neither pass nor fail."""

    def __init__(self, message: str, requirements: tuple[str, ...] | list[str] | str | None = None):
        super().__init__(message)
        if isinstance(requirements, str):
            requirements = (requirements,)
        self.requirements = tuple(requirements or ())


class KitFault(Exception):
    """The kit itself could not do its job (no broker, a harness error); says nothing about the target."""
