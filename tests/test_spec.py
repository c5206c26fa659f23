"""The spec and its generated registry agree, the spec passes its lint, and the lint can fail.

Runs with the standard library and pytest only; the fixture-schema check uses jsonschema when it is installed
(the ``fixtures`` tox env validates the same files against every schema in any case).
"""

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SPEC_DIR = REPO / "spec"
EXAMPLES_DIR = REPO / "fixtures" / "spec-examples"
FIXTURE_SCHEMA = REPO / "schemas" / "fixture-file.schema.json"
NORMATIVE_CHAPTERS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13")


def _load_tool():
    spec = importlib.util.spec_from_file_location("spec_registry", REPO / "tools" / "spec_registry.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["spec_registry"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


spec_registry = _load_tool()


@pytest.fixture(scope="module")
def registry():
    return spec_registry.parse_spec(SPEC_DIR)


@pytest.fixture(scope="module")
def document(registry):
    return spec_registry.registry_document(registry)


# --- the real spec -----------------------------------------------------------------------------------------------


def test_spec_has_no_lint_errors(registry):
    """Every requirement item is well formed and no BCP 14 keyword stands outside one."""
    assert not registry.errors, "\n".join(map(str, registry.errors))


def test_generated_files_are_current(registry):
    """spec/requirements.json and fixtures/spec-examples/ equal what the chapters produce."""
    problems = spec_registry.stale_files(REPO, registry)
    assert not problems, "\n".join(problems) + "\nrun: python tools/spec_registry.py"


def test_registry_document_shape(document):
    """The registry carries the spec version and the documented members for each entry."""
    assert document["spec_version"] == spec_registry.SPEC_VERSION == "0.1.0"
    requirement_keys = {"id", "level", "role", "chapter", "title", "text", "testable", "untestable_reason"}
    for requirement in document["requirements"]:
        assert set(requirement) == requirement_keys, requirement["id"]
        assert requirement["testable"] == (requirement["untestable_reason"] is None), requirement["id"]
    for deviation in document["deviations"]:
        assert set(deviation) == {"id", "violates", "implementations", "text", "chapter"}, deviation["id"]


def test_catalogue_is_substantial_and_covers_every_normative_chapter(document):
    """More than 60 requirements, and each of chapters 01-10, 12 and 13 holds at least one."""
    assert len(document["requirements"]) > 60
    chapters_with_requirements = {requirement["chapter"][:2] for requirement in document["requirements"]}
    missing = [chapter for chapter in NORMATIVE_CHAPTERS if chapter not in chapters_with_requirements]
    assert not missing, f"chapters without requirements: {missing}"


def test_every_normative_chapter_exists():
    """Chapters 00-15 and the README are all present."""
    stems = {path.name[:2] for path in SPEC_DIR.glob("[0-9][0-9]-*.md")}
    assert {f"{number:02d}" for number in range(16)} <= stems
    assert (SPEC_DIR / "README.md").is_file()


def test_every_deviation_cites_a_known_requirement(document):
    """Each DEV-n names the ID of a requirement of the spec."""
    known = {requirement["id"] for requirement in document["requirements"]}
    unknown = [(dev["id"], dev["violates"]) for dev in document["deviations"] if dev["violates"] not in known]
    assert not unknown
    assert document["deviations"], "the spec lists nameko's known deviations"


def test_deviations_sit_in_the_chapter_of_the_requirement_they_violate(document):
    """A deviation is listed next to the rule it breaks."""
    chapter_of = {requirement["id"]: requirement["chapter"] for requirement in document["requirements"]}
    misplaced = [dev["id"] for dev in document["deviations"] if chapter_of[dev["violates"]] != dev["chapter"]]
    assert not misplaced


def test_every_wire_example_is_a_current_fixture_file(registry):
    """Each chapter with wire examples has its fixture file in fixtures/spec-examples, with the chapter as source."""
    chapters_with_examples = [chapter for chapter in registry.chapters if chapter.examples]
    assert chapters_with_examples, "the spec has wire examples"
    for chapter in chapters_with_examples:
        path = EXAMPLES_DIR / (chapter.file_name.removesuffix(".md") + ".json")
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["source"] == {"kind": "spec-example", "chapter": f"spec/{chapter.file_name}"}
        assert [case["id"] for case in data["cases"]] == [case["id"] for case in chapter.examples]


def test_wire_example_bodies_match_their_bytes(registry):
    """Each example's parsed body equals its body_text parsed, so the examples show real bytes."""
    for chapter in registry.chapters:
        for case in chapter.examples:
            for message in case["messages"]:
                if "body" in message:
                    assert json.loads(message["body_text"]) == message["body"], (chapter.file_name, case["id"])


def test_wire_examples_cite_known_requirements(registry, document):
    """Examples cite only IDs that exist."""
    known = {requirement["id"] for requirement in document["requirements"]}
    for chapter in registry.chapters:
        for case in chapter.examples:
            cited = set(case.get("requirements", [])) | set(case.get("violates", []))
            assert cited <= known, (case["id"], sorted(cited - known))


def test_spec_example_files_validate_against_the_fixture_schema():
    """Every generated fixture file has the fixture-file format."""
    import jsonschema

    validator = jsonschema.Draft7Validator(json.loads(FIXTURE_SCHEMA.read_text(encoding="utf-8")))
    files = sorted(EXAMPLES_DIR.glob("*.json"))
    assert files
    for path in files:
        errors = [error.message for error in validator.iter_errors(json.loads(path.read_text(encoding="utf-8")))]
        assert not errors, f"{path.name}: {errors}"


def test_load_registry_returns_the_committed_document():
    """load_registry() gives other tools exactly what spec/requirements.json holds."""
    committed = json.loads((SPEC_DIR / "requirements.json").read_text(encoding="utf-8"))
    assert spec_registry.load_registry(SPEC_DIR) == committed


def test_check_mode_passes_on_the_repository():
    """`spec_registry.py --check` exits 0 on the committed tree."""
    assert spec_registry.main(["--check", "--root", str(REPO)]) == 0


# --- the lint on synthetic chapters: each check is able to fail --------------------------------------------------

GOOD_ITEM = "- **TOPO-1** · server · MUST — A server MUST do it."


def lint(text: str, name: str = "01-test.md") -> list[str]:
    errors: list = []
    chapters = [spec_registry.parse_chapter(name, text, errors)]
    spec_registry._lint_across_chapters(chapters, errors)  # noqa: SLF001 -- the cross-chapter half of the lint
    return [str(error) for error in errors]


def chapter(*lines: str) -> str:
    return "\n".join(["# Test chapter", "", *lines, ""])


def test_lint_accepts_a_clean_chapter():
    """The baseline for the broken variants passes."""
    assert lint(chapter(GOOD_ITEM, "  *Untestable black-box:* nobody can see it.", "", "Prose with must in lowercase.")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(chapter("A server MUST do it."), "keyword 'MUST' outside a requirement item", id="keyword-without-id"),
        pytest.param(chapter("It is OPTIONAL."), "keyword 'OPTIONAL' outside", id="optional-in-prose"),
        pytest.param(chapter("It is NOT RECOMMENDED."), "keyword 'NOT RECOMMENDED' outside", id="not-recommended"),
        pytest.param(chapter("| a | REQUIRED |"), "keyword 'REQUIRED' outside", id="keyword-in-table"),
        pytest.param(chapter(GOOD_ITEM, GOOD_ITEM), "ID TOPO-1 repeats", id="repeated-id"),
        pytest.param(chapter("- **topo-1** · server · MUST — A server MUST do it."), "does not match", id="lowercase-id"),
        pytest.param(chapter("- **TOPO-01a** · server · MUST — A server MUST do it."), "does not match", id="bad-id"),
        pytest.param(chapter("- **TOPO-2** · broker · MUST — A broker MUST do it."), "unknown role 'broker'", id="unknown-role"),
        pytest.param(chapter("- **TOPO-2** · server · SHALL — A server SHALL do it."), "unknown level 'SHALL'", id="unknown-level"),
        pytest.param(chapter("- **TOPO-2** · server · MUST — A server SHOULD do it."), "level is 'MUST' but the sentence uses ['SHOULD']", id="level-mismatch"),
        pytest.param(chapter("- **TOPO-2** · server · MUST — A server MUST do it and MAY log."), "uses ['MAY']", id="two-levels"),
        pytest.param(chapter("- **TOPO-2** · server · MUST NOT — A server MUST do it."), "level is 'MUST NOT'", id="must-for-must-not"),
        pytest.param(chapter("- **TOPO-2** · server · MUST — A server does it."), "sentence has no 'MUST' keyword", id="no-keyword"),
        pytest.param(chapter("- **TOPO-2** · server · WITHDRAWN — A server MUST do it."), "withdrawn requirement uses keywords", id="withdrawn-with-keyword"),
        pytest.param(chapter("- **TOPO-2** server MUST: do it."), "malformed requirement item", id="malformed-item"),
        pytest.param(chapter("  *Untestable black-box:* orphan."), "does not follow a requirement", id="orphan-untestable"),
        pytest.param(chapter(GOOD_ITEM, "- **DEV-1** · violates TOPO-99 · nameko 2.14.1 — It crashes."), "cites unknown requirement 'TOPO-99'", id="deviation-unknown-id"),
        pytest.param(chapter(GOOD_ITEM, "- **DEV-1** · violates TOPO-1 · nameko 2.14.1 — It MUST crash."), "uses the BCP 14 keyword 'MUST'", id="deviation-keyword"),
        pytest.param(chapter(GOOD_ITEM, "- **DEV-1** · violates TOPO-1 · nameko — x", "- **DEV-1** · violates TOPO-1 · nameko — y"), "ID DEV-1 repeats", id="deviation-repeated"),
        pytest.param(chapter("```json wire-example", "{not json", "```"), "wire example is not JSON", id="example-not-json"),
        pytest.param(chapter("```json wire-example", "[1, 2]", "```"), "not a fixture case object", id="example-not-case"),
        pytest.param(chapter("```text", "unclosed"), "code fence is never closed", id="unclosed-fence"),
        pytest.param("No title here.\n", "chapter has no '# ' title", id="no-title"),
    ],
)
def test_lint_catches(text, expected):
    """Each kind of spec fault gives a file:line error."""
    errors = lint(text)
    assert any(expected in error for error in errors), errors
    assert all(re.match(r"^spec/01-test\.md:\d+: ", error) for error in errors), errors


def test_lint_reports_the_line_of_the_fault():
    """The error names the line the keyword is on."""
    assert lint(chapter("fine", "also fine", "It MAY happen.")) == [
        "spec/01-test.md:5: BCP 14 keyword 'MAY' outside a requirement item "
        "(write it in lowercase, in a code span, or make it a requirement with an ID)"
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(chapter("Use the level `MUST` here."), id="code-span"),
        pytest.param(chapter("Use ``MUST NOT`` here."), id="double-backtick-span"),
        pytest.param(chapter("```text", "A server MUST do it.", "```"), id="fenced-block"),
        pytest.param(chapter("~~~", "SHOULD", "~~~"), id="tilde-fence"),
        pytest.param(chapter("<!-- bcp14-boilerplate -->", "The key words MUST, SHOULD, MAY.", "<!-- /bcp14-boilerplate -->"), id="boilerplate"),
        pytest.param(chapter("MUSTARD and MAYBE and SHOULDER are words."), id="longer-words"),
        pytest.param(chapter("- **Port authors** MUST-free prose with a bold lead."), id="bold-prose-item"),
    ],
)
def test_lint_exempts(text):
    """Code, the marked boilerplate and ordinary words are not normative."""
    assert lint(text) == []


def test_repeated_id_across_chapters_is_caught():
    """An ID used in two chapters is a repeat."""
    errors: list = []
    chapters = [
        spec_registry.parse_chapter("01-a.md", chapter(GOOD_ITEM), errors),
        spec_registry.parse_chapter("02-b.md", chapter(GOOD_ITEM), errors),
    ]
    spec_registry._lint_across_chapters(chapters, errors)  # noqa: SLF001
    assert [str(error) for error in errors] == ["spec/02-b.md:3: ID TOPO-1 repeats (first at spec/01-a.md:3)"]


def test_parsed_requirement_records_level_role_and_testability():
    """An item and its untestable line become one registry entry."""
    errors: list = []
    parsed = spec_registry.parse_chapter(
        "01-test.md", chapter(GOOD_ITEM, "  *Untestable black-box:* nobody can see it."), errors
    )
    assert errors == []
    (requirement,) = parsed.requirements
    assert requirement["level"] == "MUST" and requirement["role"] == "server"
    assert requirement["title"] == "Test chapter" and requirement["text"] == "A server MUST do it."
    assert requirement["testable"] is False and requirement["untestable_reason"] == "nobody can see it."


def test_check_mode_fails_on_a_stale_registry(tmp_path, capsys):
    """--check exits non-zero and names the file when requirements.json differs from the chapters."""
    shutil.copytree(SPEC_DIR, tmp_path / "spec")
    shutil.copytree(EXAMPLES_DIR, tmp_path / "fixtures" / "spec-examples")
    topology = tmp_path / "spec" / "01-topology.md"
    topology.write_text(
        topology.read_text(encoding="utf-8") + "\n- **TOPO-99** · any · MAY — A participant MAY hum.\n", encoding="utf-8"
    )
    assert spec_registry.main(["--check", "--root", str(tmp_path)]) == 1
    assert "spec/requirements.json is out of date" in capsys.readouterr().err
    assert spec_registry.main(["--root", str(tmp_path)]) == 0
    assert spec_registry.main(["--check", "--root", str(tmp_path)]) == 0


def test_check_mode_fails_on_an_orphaned_example_file(tmp_path, capsys):
    """--check reports a spec-example file whose chapter no longer has examples."""
    shutil.copytree(SPEC_DIR, tmp_path / "spec")
    shutil.copytree(EXAMPLES_DIR, tmp_path / "fixtures" / "spec-examples")
    (tmp_path / "fixtures" / "spec-examples" / "99-gone.json").write_text("{}\n", encoding="utf-8")
    assert spec_registry.main(["--check", "--root", str(tmp_path)]) == 1
    assert "99-gone.json has no wire examples" in capsys.readouterr().err


def test_load_registry_refuses_a_spec_with_lint_errors(tmp_path):
    """Other tools never read a registry built from a broken spec."""
    (tmp_path / "01-bad.md").write_text(chapter("A server MUST do it."), encoding="utf-8")
    with pytest.raises(ValueError, match="01-bad.md:3"):
        spec_registry.load_registry(tmp_path)
