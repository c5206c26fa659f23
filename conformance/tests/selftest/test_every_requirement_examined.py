"""Every testable MUST and SHOULD is examined: against the reference (server and client, on a private node with
the firehose) each one reads pass, found right by a check that looked, and none passes by citation alone."""

import sys

from .conftest import run_kit

JUDGED = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT")


def test_reference_examines_every_testable_must_and_should(tmp_path):
    code, document, output = run_kit(tmp_path, "--broker", "private",
                                     "--target-cmd", f"{sys.executable} -m nameko_reference.testee",
                                     "--client-cmd", f"{sys.executable} conformance/drivers/reference_driver.py")
    assert document, output[-3000:]
    requirements = document["requirements"]
    unexamined = {k: (v["verdict"], v.get("why", "")) for k, v in requirements.items()
                  if v["level"] in JUDGED and v["verdict"] not in ("pass", "untestable black-box")}
    assert unexamined == {}, output[-3000:]
    passed_without_examination = [k for k, v in requirements.items() if v["verdict"] == "pass" and not v["examined_by"]]
    assert passed_without_examination == []
    assert code == 0
