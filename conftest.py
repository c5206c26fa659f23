"""Repository-wide test rules.

Tests marked `nameko` drive a real nameko and run in the nameko2/nameko3 tox envs. There a missing or broken
nameko must fail them: a skip would turn a broken interop env green.
"""

import pytest


def pytest_runtest_setup(item):
    if item.get_closest_marker("nameko") is None:
        return
    try:
        import nameko  # noqa: F401
    except Exception as exc:  # a broken install raises more than ImportError (e.g. pkg_resources missing)
        pytest.fail(f"this test needs a working nameko in {item.config.invocation_params.dir}: {exc!r}; "
                    f"run it with tox -e nameko2 or tox -e nameko3", pytrace=False)
