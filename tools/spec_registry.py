#!/usr/bin/env python3
"""Build and check the requirement registry of the nameko wire protocol spec.

The spec's chapters (``spec/*.md``) are the single source of truth.  This tool
parses them into ``spec/requirements.json`` and harvests their wire examples
into ``fixtures/spec-examples/<chapter-stem>.json``.  With ``--check`` it
regenerates both in memory and fails when the committed files differ, so a
spec edit can never silently drift from the registry other tools read.

It also lints the spec: requirement items are well formed, IDs are unique, and
no uppercase BCP 14 keyword appears outside a requirement item (a keyword in
loose prose would be a normative statement that nobody can cite or test).

Only the standard library is used, so the ``spec`` tox env needs no install.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

SPEC_VERSION = "0.1.0"

ROLES = frozenset(
    {"server", "client", "dispatcher", "handler", "observer", "testee", "driver", "any"}
)
LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", "WITHDRAWN")

ID_PATTERN = re.compile(r"^[A-Z]+(-[A-Z]+)*-[0-9]+$")
DEVIATION_ID_PATTERN = re.compile(r"^DEV-[0-9]+$")

# Longer alternatives first, so "MUST NOT" is never read as "MUST".
KEYWORD_PATTERN = re.compile(
    r"(?<![A-Za-z0-9_-])(NOT RECOMMENDED|MUST NOT|SHALL NOT|SHOULD NOT|MUST|SHALL|SHOULD"
    r"|REQUIRED|RECOMMENDED|MAY|OPTIONAL)(?![A-Za-z0-9_-])"
)

# "- **ID** · role · LEVEL — sentence"; the separators are U+00B7 and U+2014.
# A bold lead followed by " · ", or a bold lead that looks like an ID, starts an item;
# other bold list leads ("- **Port authors** use …") are prose.
ITEM_START = re.compile(r"^- \*\*(?:[^*]+\*\* · |[A-Za-z]+(?:-[A-Za-z]+)*-[0-9]+\*\*)")
REQUIREMENT_ITEM = re.compile(
    r"^- \*\*(?P<id>[^*]+)\*\* · (?P<role>[^·]+?) · (?P<level>[^—]+?) — (?P<text>.+)$"
)
DEVIATION_ITEM = re.compile(
    r"^- \*\*(?P<id>DEV-[^*]+)\*\* · violates (?P<violates>[^·]+?) · (?P<impls>[^—]+?) — (?P<text>.+)$"
)
UNTESTABLE_LINE = re.compile(r"^\s+\*Untestable black-box:\*\s*(?P<reason>.+)$")
FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>.*)$")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
BOILERPLATE_START = "<!-- bcp14-boilerplate -->"
BOILERPLATE_END = "<!-- /bcp14-boilerplate -->"
WIRE_EXAMPLE_INFO = "json wire-example"


@dataclass
class LintError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Chapter:
    file_name: str
    title: str
    requirements: list[dict] = field(default_factory=list)
    deviations: list[dict] = field(default_factory=list)
    examples: list[dict] = field(default_factory=list)


def keywords_in(text: str) -> list[str]:
    """The uppercase BCP 14 keywords of a line, ignoring code spans."""
    return KEYWORD_PATTERN.findall(CODE_SPAN.sub("", text))


def parse_chapter(file_name: str, text: str, errors: list[LintError]) -> Chapter:
    """Parse one chapter's Markdown; append lint findings to ``errors``."""
    path = f"spec/{file_name}"
    lines = text.splitlines()
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), "")
    if not title:
        errors.append(LintError(path, 1, "chapter has no '# ' title"))
    chapter = Chapter(file_name=file_name, title=title)

    fence: str | None = None
    fence_info = ""
    fence_start = 0
    fence_lines: list[str] = []
    in_boilerplate = False
    last_requirement: dict | None = None

    for number, line in enumerate(lines, start=1):
        if fence is not None:
            if line.strip() == fence:
                if fence_info == WIRE_EXAMPLE_INFO:
                    chapter.examples.append(
                        _parse_example(path, fence_start, "\n".join(fence_lines), errors)
                    )
                fence = None
            else:
                fence_lines.append(line)
            continue
        opening = FENCE.match(line.strip())
        if opening:
            fence, fence_info = opening["fence"], opening["info"].strip()
            fence_start, fence_lines = number, []
            last_requirement = None
            continue
        if line.strip() == BOILERPLATE_START:
            in_boilerplate = True
            continue
        if line.strip() == BOILERPLATE_END:
            in_boilerplate = False
            continue
        if in_boilerplate:
            continue

        untestable = UNTESTABLE_LINE.match(line)
        if untestable:
            if last_requirement is None:
                errors.append(
                    LintError(path, number, "'Untestable black-box' line does not follow a requirement")
                )
            else:
                last_requirement["testable"] = False
                last_requirement["untestable_reason"] = untestable["reason"].strip()
                _lint_free_keywords(path, number, line, errors)
            continue

        if ITEM_START.match(line):
            last_requirement = _parse_item(path, number, line, chapter, errors)
            continue

        last_requirement = None if line.strip() else last_requirement
        _lint_free_keywords(path, number, line, errors)

    if fence is not None:
        errors.append(LintError(path, fence_start, "code fence is never closed"))
    if in_boilerplate:
        errors.append(LintError(path, len(lines), f"{BOILERPLATE_START} is never closed"))
    return chapter


def _lint_free_keywords(path: str, number: int, line: str, errors: list[LintError]) -> None:
    for keyword in keywords_in(line):
        errors.append(
            LintError(
                path,
                number,
                f"BCP 14 keyword {keyword!r} outside a requirement item "
                "(write it in lowercase, in a code span, or make it a requirement with an ID)",
            )
        )


def _parse_item(
    path: str, number: int, line: str, chapter: Chapter, errors: list[LintError]
) -> dict | None:
    deviation = DEVIATION_ITEM.match(line)
    if deviation:
        dev_id = deviation["id"].strip()
        if not DEVIATION_ID_PATTERN.match(dev_id):
            errors.append(LintError(path, number, f"deviation ID {dev_id!r} is not DEV-<n>"))
        for keyword in keywords_in(deviation["text"]):
            errors.append(
                LintError(path, number, f"deviation {dev_id} uses the BCP 14 keyword {keyword!r}")
            )
        chapter.deviations.append(
            {
                "id": dev_id,
                "violates": deviation["violates"].strip(),
                "implementations": deviation["impls"].strip(),
                "text": deviation["text"].strip(),
                "chapter": chapter.file_name,
                "_line": number,
            }
        )
        return None

    match = REQUIREMENT_ITEM.match(line)
    if not match:
        errors.append(
            LintError(
                path,
                number,
                "malformed requirement item; expected '- **ID** · role · LEVEL — sentence'",
            )
        )
        return None
    req_id, role = match["id"].strip(), match["role"].strip()
    level, text = match["level"].strip(), match["text"].strip()
    if not ID_PATTERN.match(req_id):
        errors.append(LintError(path, number, f"ID {req_id!r} does not match {ID_PATTERN.pattern}"))
    if role not in ROLES:
        errors.append(LintError(path, number, f"{req_id}: unknown role {role!r}"))
    if level not in LEVELS:
        errors.append(LintError(path, number, f"{req_id}: unknown level {level!r}"))
    else:
        found = keywords_in(text)
        if level == "WITHDRAWN":
            if found:
                errors.append(
                    LintError(path, number, f"{req_id}: a withdrawn requirement uses keywords {found}")
                )
        elif not found:
            errors.append(LintError(path, number, f"{req_id}: sentence has no {level!r} keyword"))
        elif set(found) != {level}:
            others = sorted(set(found) - {level})
            errors.append(
                LintError(
                    path,
                    number,
                    f"{req_id}: level is {level!r} but the sentence uses {others or found}",
                )
            )
    requirement = {
        "id": req_id,
        "level": level,
        "role": role,
        "chapter": chapter.file_name,
        "title": chapter.title,
        "text": text,
        "testable": True,
        "untestable_reason": None,
        "_line": number,
    }
    chapter.requirements.append(requirement)
    return requirement


def _parse_example(path: str, line: int, source: str, errors: list[LintError]) -> dict:
    try:
        case = json.loads(source)
    except json.JSONDecodeError as exc:
        errors.append(LintError(path, line + exc.lineno, f"wire example is not JSON: {exc.msg}"))
        return {"_line": line, "_invalid": True}
    if not isinstance(case, dict) or not isinstance(case.get("id"), str):
        errors.append(LintError(path, line, "wire example is not a fixture case object with an 'id'"))
        return {"_line": line, "_invalid": True}
    return {**case, "_line": line}


@dataclass
class Registry:
    chapters: list[Chapter]
    errors: list[LintError]

    @property
    def requirements(self) -> list[dict]:
        return [req for chapter in self.chapters for req in chapter.requirements]

    @property
    def deviations(self) -> list[dict]:
        return [dev for chapter in self.chapters for dev in chapter.deviations]


def _public(record: dict) -> dict:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def parse_spec(spec_dir: Path) -> Registry:
    """Parse every chapter of ``spec_dir`` and lint the whole spec."""
    errors: list[LintError] = []
    chapters = [
        parse_chapter(path.name, path.read_text(encoding="utf-8"), errors)
        for path in sorted(spec_dir.glob("*.md"))
    ]
    _lint_across_chapters(chapters, errors)
    return Registry(chapters=chapters, errors=errors)


def _lint_across_chapters(chapters: list[Chapter], errors: list[LintError]) -> None:
    first_seen: dict[str, str] = {}
    for chapter in chapters:
        path = f"spec/{chapter.file_name}"
        for record in chapter.requirements + chapter.deviations:
            where = f"{path}:{record['_line']}"
            if record["id"] in first_seen:
                errors.append(
                    LintError(path, record["_line"], f"ID {record['id']} repeats (first at {first_seen[record['id']]})")
                )
            else:
                first_seen[record["id"]] = where
    known = {req["id"] for chapter in chapters for req in chapter.requirements}
    for chapter in chapters:
        path = f"spec/{chapter.file_name}"
        for dev in chapter.deviations:
            if dev["violates"] not in known:
                errors.append(
                    LintError(path, dev["_line"], f"{dev['id']} cites unknown requirement {dev['violates']!r}")
                )
        case_ids: set[str] = set()
        for example in chapter.examples:
            if example.get("_invalid"):
                continue
            if example["id"] in case_ids:
                errors.append(LintError(path, example["_line"], f"wire example id {example['id']!r} repeats"))
            case_ids.add(example["id"])
            for req_id in example.get("requirements", []) + example.get("violates", []):
                if req_id not in known:
                    errors.append(
                        LintError(path, example["_line"], f"wire example {example['id']!r} cites unknown {req_id!r}")
                    )


def registry_document(registry: Registry) -> dict:
    return {
        "spec_version": SPEC_VERSION,
        "requirements": [_public(req) for req in registry.requirements],
        "deviations": [_public(dev) for dev in registry.deviations],
    }


def example_documents(registry: Registry) -> dict[str, dict]:
    """Fixture files keyed by file name, one per chapter that has wire examples."""
    documents = {}
    for chapter in registry.chapters:
        cases = [_public(case) for case in chapter.examples if not case.get("_invalid")]
        if not cases:
            continue
        stem = chapter.file_name.removesuffix(".md")
        documents[f"{stem}.json"] = {
            "description": f"Wire examples of the spec chapter '{chapter.title}'",
            "source": {"kind": "spec-example", "chapter": f"spec/{chapter.file_name}"},
            "cases": cases,
        }
    return documents


def render_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def expected_files(repo_root: Path, registry: Registry) -> dict[Path, str]:
    """Every generated file and the text it must have."""
    files = {repo_root / "spec" / "requirements.json": render_json(registry_document(registry))}
    examples_dir = repo_root / "fixtures" / "spec-examples"
    for name, document in example_documents(registry).items():
        files[examples_dir / name] = render_json(document)
    return files


def stale_files(repo_root: Path, registry: Registry) -> list[str]:
    """Messages naming each generated file that differs from what the spec gives."""
    problems = []
    expected = expected_files(repo_root, registry)
    for path, text in expected.items():
        relative = path.relative_to(repo_root)
        if not path.exists():
            problems.append(f"{relative} is missing")
            continue
        current = path.read_text(encoding="utf-8")
        if current != text:
            diff = "".join(
                list(
                    difflib.unified_diff(
                        current.splitlines(keepends=True),
                        text.splitlines(keepends=True),
                        f"{relative} (committed)",
                        f"{relative} (from spec/)",
                        n=1,
                    )
                )[:40]
            )
            problems.append(f"{relative} is out of date:\n{diff}")
    examples_dir = repo_root / "fixtures" / "spec-examples"
    if examples_dir.is_dir():
        for path in sorted(examples_dir.glob("*.json")):
            if path not in expected:
                problems.append(f"{path.relative_to(repo_root)} has no wire examples in spec/ any more")
    return problems


def load_registry(spec_dir: str | Path) -> dict:
    """The registry document (as in ``requirements.json``) built from ``spec_dir``.

    Raises ``ValueError`` listing the lint errors when the spec is not clean.
    """
    registry = parse_spec(Path(spec_dir))
    if registry.errors:
        raise ValueError("spec lint failed:\n" + "\n".join(map(str, registry.errors)))
    return registry_document(registry)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if generated files are stale")
    parser.add_argument(
        "--root", type=Path, default=Path(__file__).resolve().parent.parent, help="repository root"
    )
    args = parser.parse_args(argv)
    registry = parse_spec(args.root / "spec")
    for error in registry.errors:
        print(error, file=sys.stderr)
    if registry.errors:
        print(f"{len(registry.errors)} lint error(s) in spec/", file=sys.stderr)
        return 1
    if args.check:
        problems = stale_files(args.root, registry)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python tools/spec_registry.py", file=sys.stderr)
            return 1
        print(f"spec registry is current: {len(registry.requirements)} requirements, "
              f"{len(registry.deviations)} deviations")
        return 0
    for path, text in expected_files(args.root, registry).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(args.root)}")
    examples_dir = args.root / "fixtures" / "spec-examples"
    expected = expected_files(args.root, registry)
    for path in sorted(examples_dir.glob("*.json")) if examples_dir.is_dir() else []:
        if path not in expected:
            path.unlink()
            print(f"removed {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
