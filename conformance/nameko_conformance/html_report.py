"""Renders a report document (the dict written to report.json) as one self-contained HTML page.

Pure: a document in, one HTML string out; standard library only. The page loads nothing from anywhere (inline CSS
and JS, both pinned by hash in a Content-Security-Policy, so no other script can run even if escaping failed).
Everything that comes from the document is escaped, because much of it comes from the target under test (bodies,
headers, routing keys, its output). The renderer is defensive: any key may be missing, as in documents written by
older kits, and the page still renders. Sizes are bounded: messages per finding, bytes per message, findings per
requirement and in all, and bytes of output tails; every cut says what it left out.
"""

from __future__ import annotations

import html
import json
from typing import Any, Iterable

from nameko_conformance.html_assets import CSP, CSS, JS

MAX_MESSAGES_PER_FINDING = 12
MAX_MESSAGE_FIELD_BYTES = 2048  # per body, per properties block, per headers block
MAX_MESSAGES_TOTAL = 200  # across the page; later findings name the count instead
MAX_FINDINGS_PER_REQUIREMENT = 8
MAX_DETAILED_FINDINGS = 100  # later findings get a one-line entry
MAX_TEXT_BYTES = 4096  # expected / observed / why
MAX_TAIL_BYTES_IN_FINDING = 2048
MAX_TAIL_LINES_IN_FINDING = 20
MAX_TAIL_BYTES = 16384
MAX_TESTS_LISTED = 12
MAX_SEARCH_BYTES = 600  # of a requirement's ID, text and why, searched by the page's find box
MAX_CONTEXT_TESTS = 3  # test records shown for a problem verdict that has no findings

# Verdicts in display order, with the CSS class of their colour. Unknown verdicts get "v-other".
VERDICT_CLASSES = {
    "fail": "v-fail",
    "stale baseline": "v-stale",
    "kit error": "v-kiterror",
    "masked": "v-masked",
    "inconclusive": "v-inconclusive",
    "known deviation": "v-deviation",
    "non-strict": "v-nonstrict",
    "informational": "v-info",
    "capability absent": "v-capability",
    "pass": "v-pass",
    "not examined": "v-notexamined",
    "not run": "v-notrun",
    "not run or not reached": "v-notrun",
    "not covered: needs client driver": "v-needsdriver",
    "untestable black-box": "v-untestable",
}
VERDICT_MEANINGS = {
    "fail": "a requirement the target breaks; fails the gate",
    "stale baseline": "the baseline excuses a deviation the target no longer shows; fails the gate",
    "kit error": "the kit itself failed while checking",
    "masked": "a finding earlier in its test kept the test from reaching it",
    "inconclusive": "examined, but what was seen cannot decide it",
    "known deviation": "fails as the target's baseline says it does",
    "non-strict": "a SHOULD the target breaks (fails only with --strict)",
    "informational": "a MAY or a recommendation the target does not follow",
    "capability absent": "the target declares it lacks the feature",
    "pass": "examined and met",
    "not examined": "no test of this run examined it",
    "not run": "its tests did not run",
    "not run or not reached": "its tests did not run or did not reach it",
    "not covered: needs client driver": "run with --client-cmd to check it",
    "untestable black-box": "the kit cannot check it from outside",
}
# Verdicts whose requirement entry opens onto its findings (expected, observed, messages, output, reproduce).
PROBLEM_VERDICTS = ("fail", "stale baseline", "kit error", "masked", "inconclusive", "known deviation",
                    "non-strict", "informational")
LEVEL_ORDER = ("MUST", "MUST NOT", "REQUIRED", "SHALL", "SHALL NOT", "SHOULD", "SHOULD NOT", "RECOMMENDED",
               "NOT RECOMMENDED", "MAY", "OPTIONAL", "WITHDRAWN")


# --- text helpers ---------------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    """Any value as display text; strings that cannot be UTF-8 (lone surrogates from a hostile body) are shown
    with backslash escapes instead of breaking the page's encoding."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (dict, list)) else str(value)
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def esc(value: Any) -> str:
    return html.escape(_text(value), quote=True)


def clip(value: Any, limit: int, keep: str = "head", max_lines: int | None = None) -> tuple[str, int]:
    """At most ``limit`` UTF-8 bytes of the value's text, and how many bytes were left out. ``keep="tail"`` keeps
    the end instead, in whole lines (at most ``max_lines`` of them), as the last lines of an output matter most."""
    data = _text(value).encode("utf-8")
    if keep == "head":
        if len(data) <= limit:
            return data.decode("utf-8"), 0
        part = data[:limit].decode("utf-8", "ignore")
        return part, len(data) - len(part.encode("utf-8"))
    part = data[-limit:]
    if len(part) < len(data) and b"\n" in part:
        part = part[part.index(b"\n") + 1:]  # no half line at the top
    if max_lines is not None:
        lines = part.split(b"\n")
        if len(lines) > max_lines + (1 if lines[-1] == b"" else 0):
            part = b"\n".join(lines[-(max_lines + (1 if lines[-1] == b"" else 0)):])
    text = part.decode("utf-8", "ignore")
    return text, len(data) - len(text.encode("utf-8"))


def clipped_pre(value: Any, limit: int, keep: str = "head", cls: str = "", max_lines: int | None = None) -> str:
    text, cut = clip(value, limit, keep, max_lines)
    attr = f' class="{cls}"' if cls else ""
    out = f"<pre{attr}>{esc(text)}</pre>"
    if cut:
        where = "earlier" if keep == "tail" else "more"
        out += f'<span class="note">truncated: {cut} {where} bytes not shown</span>'
    return out


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def verdict_class(verdict: Any) -> str:
    return VERDICT_CLASSES.get(verdict, "v-other") if isinstance(verdict, str) else "v-other"


def _anchor(req_id: str) -> str:
    return "req-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in req_id)


# --- the model the page is drawn from ------------------------------------------------------------------------

def requirements_of(document: dict) -> dict[str, dict]:
    return {str(k): v for k, v in _dict(document.get("requirements")).items() if isinstance(v, dict)}


def verdict_of(entry: dict) -> str:
    verdict = entry.get("verdict")
    return verdict if isinstance(verdict, str) and verdict else "verdict not recorded"


def why_of(entry: dict) -> str:
    return _text(entry.get("why") or entry.get("reason") or entry.get("baseline_reason") or "")


def findings_of(entry: dict, req_id: str, tests_by_id: dict[str, dict]) -> list[dict]:
    """The entry's findings; for documents without them, one finding per piece of evidence that carries a
    message, with the messages of the test's trace."""
    findings = [f for f in _list(entry.get("findings")) if isinstance(f, dict)]
    if findings:
        return findings
    out = []
    for item in _list(entry.get("evidence")):
        if not isinstance(item, dict) or not item.get("message"):
            continue
        test = tests_by_id.get(_text(item.get("test")), {})
        out.append({"requirement": req_id, "test": item.get("test"), "observed": item.get("message"),
                    "reproduce": item.get("reproduce") or test.get("reproduce"),
                    "messages": _list(test.get("trace"))})
    return out


def context_of(entry: dict, tests_by_id: dict[str, dict]) -> list[dict]:
    """For a problem verdict without findings (masked, inconclusive, a stale baseline, a kit error): what the tests
    citing the requirement recorded (their message, trace and reproduce command), those that did not pass first."""
    records = [tests_by_id[t] for t in (_text(t) for t in _list(entry.get("tests"))) if t in tests_by_id]
    records.sort(key=lambda r: r.get("outcome") == "passed")
    return records[:MAX_CONTEXT_TESTS]


def ordered_chapters(requirements: dict[str, dict]) -> list[tuple[str, list[str]]]:
    chapters: dict[str, list[str]] = {}
    for req_id, entry in requirements.items():
        chapters.setdefault(_text(entry.get("chapter")) or "(no chapter)", []).append(req_id)
    return [(chapter, sorted(ids, key=natural_key)) for chapter, ids in sorted(chapters.items())]


def natural_key(req_id: str) -> tuple:
    """RPC-REQ-2 before RPC-REQ-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in req_id.split("-"))


def counts_of(document: dict, requirements: dict[str, dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in requirements.values():
        counts[verdict_of(entry)] = counts.get(verdict_of(entry), 0) + 1
    if not counts:  # a document whose requirements were left out still has its summary
        counts = {str(k): v for k, v in _dict(_dict(document.get("summary")).get("counts")).items()
                  if isinstance(v, int)}
    return counts


def verdict_order(verdicts: Iterable[str]) -> list[str]:
    known = list(VERDICT_CLASSES)
    return sorted(set(verdicts), key=lambda v: (known.index(v) if v in known else len(known), v))


def level_order(levels: Iterable[str]) -> list[str]:
    return sorted(set(levels), key=lambda v: (LEVEL_ORDER.index(v) if v in LEVEL_ORDER else len(LEVEL_ORDER), v))


class Budget:
    """What the page may still spend on findings' details and messages, and the output tails it already drew."""

    def __init__(self) -> None:
        self.findings = MAX_DETAILED_FINDINGS
        self.messages = MAX_MESSAGES_TOTAL
        self.tails: dict[str, str] = {}


# --- rendering -----------------------------------------------------------------------------------------------

def render(document: Any) -> str:
    """The whole page for one report document."""
    document = _dict(document)
    requirements = requirements_of(document)
    tests_by_id = {_text(t.get("nodeid")): t for t in _list(document.get("tests")) if isinstance(t, dict)}
    counts = counts_of(document, requirements)
    target = _dict(document.get("target"))
    title = "nameko conformance report" + (f" — {_text(target.get('service'))}" if target.get("service") else "")
    budget = Budget()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<link rel="icon" href="data:,">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style></head>",
        f"<body data-problems=\"{esc(json.dumps(list(PROBLEM_VERDICTS)))}\"><main>",
        summary_section(document, counts),
        filters_section(requirements, counts),
        matrix_section(requirements),
        requirements_section(document, requirements, tests_by_id, budget),
        output_section(document),
        '<footer>Written by the nameko conformance kit. This page is self-contained: it loads nothing from the '
        "network. The full data is in report.json beside it.</footer>",
        f"</main><script>{JS}</script></body></html>",
    ]
    return "\n".join(parts) + "\n"


def summary_section(document: dict, counts: dict[str, int]) -> str:
    summary = _dict(document.get("summary"))
    target, broker = _dict(document.get("target")), _dict(document.get("broker"))
    kit, spec, options = _dict(document.get("kit")), _dict(document.get("spec")), _dict(document.get("options"))
    client = _dict(document.get("client"))
    gate = summary.get("gate")
    gate_class, gate_word = ("pass", "PASS") if gate is True else (("fail", "FAIL") if gate is False
                                                                     else ("unknown", "?"))
    facts: list[tuple[str, str]] = []

    def fact(label: str, *values: Any, sep: str = " ") -> None:
        shown = [_text(v) for v in values if v not in (None, "", [], {})]
        if shown:
            facts.append((label, sep.join(shown)))

    fact("target", target.get("uri"))
    fact("command", target.get("command"))
    fact("service", target.get("service"))
    if isinstance(target.get("capabilities"), list):
        fact("capabilities", ", ".join(_text(c) for c in target["capabilities"]) or "(none)")
    fact("client driver", client.get("command"))
    if broker:
        fact("broker", broker.get("provider"), "RabbitMQ" if broker.get("version") else None, broker.get("version"),
             f"({_text(broker.get('uri'))})" if broker.get("uri") else None)
        fact("observer", broker.get("observer_description") or broker.get("observer"))
    fact("verdicts", " · ".join(f"{v} {counts[v]}" for v in verdict_order(counts)))
    tests = _dict(summary.get("tests"))
    if tests:
        fact("tests", ", ".join(f"{_text(k)} {_text(v)}" for k, v in tests.items()))
    fact("started", document.get("started"))
    if document.get("duration_s") is not None:
        fact("duration", f"{_text(document.get('duration_s'))} s")
    fact("options", "strict" if options.get("strict") else None,
         f"baseline {_text(options.get('baseline'))}" if options.get("baseline") else None,
         ("req " + " ".join(_text(r) for r in _list(options.get("req")))) if _list(options.get("req")) else None,
         sep="; ")
    fact("kit", kit.get("name"), kit.get("version"), f"(Python {_text(kit.get('python'))})" if kit.get("python")
         else None)
    fact("spec", spec.get("version"), spec.get("registry"))
    kit_errors = _list(summary.get("kit_errors"))
    if kit_errors:
        fact("kit errors", ", ".join(_text(k) for k in kit_errors[:MAX_TESTS_LISTED])
             + (f" … and {len(kit_errors) - MAX_TESTS_LISTED} more" if len(kit_errors) > MAX_TESTS_LISTED else ""))
    rows = "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in facts)
    must = (f"<small>{esc(summary.get('must_pass'))} of {esc(summary.get('must_total'))} MUST passed</small>"
            if "must_pass" in summary and "must_total" in summary else "")
    return (f'<header class="card"><div class="top"><div class="gate {gate_class}" id="gate"><span>gate</span>'
            f'<b>{gate_word}</b>{must}</div><div><h1>nameko conformance report</h1>'
            f'<dl class="facts">{rows}</dl></div></div>'
            f'<div class="bar" aria-hidden="true">{proportion_bar(counts)}</div></header>')


def proportion_bar(counts: dict[str, int]) -> str:
    """The verdicts' shares as 100 equal cells (largest remainder), so no inline style is needed."""
    total = sum(counts.values())
    if total <= 0:
        return ""
    ordered = verdict_order(counts)
    exact = {v: 100 * counts[v] / total for v in ordered}
    cells = {v: int(exact[v]) for v in ordered}
    for v in sorted(ordered, key=lambda v: exact[v] - cells[v], reverse=True)[:100 - sum(cells.values())]:
        cells[v] += 1
    return "".join(f'<span class="{verdict_class(v)}" title="{esc(v)}: {counts[v]}"></span>' * cells[v]
                   for v in ordered)


def filters_section(requirements: dict[str, dict], counts: dict[str, int]) -> str:
    legend = "".join(
        f'<li><label title="{esc(VERDICT_MEANINGS.get(v, v))}"><input type="checkbox" class="fv" value="{esc(v)}" '
        f'checked><span class="sw {verdict_class(v)}"></span>{esc(v)} <span class="n">{counts[v]}</span></label></li>'
        for v in verdict_order(counts))
    levels = level_order(_text(e.get("level")) for e in requirements.values() if e.get("level"))
    roles = sorted({_text(e.get("role")) for e in requirements.values() if e.get("role")})
    level_options = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in levels)
    role_options = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in roles)
    return (
        '<nav class="filters" id="filters" aria-label="filters">'
        f'<ul class="legend" id="legend">{legend}</ul>'
        '<div class="controls">'
        f'<label>level <select id="f-level"><option value="">any</option>{level_options}</select></label>'
        f'<label>role <select id="f-role"><option value="">any</option>{role_options}</select></label>'
        '<label>find <input type="search" id="f-text" placeholder="ID or words" size="18"></label>'
        '<button type="button" id="f-problems">problems only</button>'
        '<button type="button" id="f-all">show all</button>'
        f'<span id="shown">{len(requirements)} requirements</span></div></nav>')


def _data_attrs(req_id: str, entry: dict) -> str:
    search = clip(f"{req_id} {_text(entry.get('text'))} {why_of(entry)}".lower(), MAX_SEARCH_BYTES)[0]
    return (f'data-verdict="{esc(verdict_of(entry))}" data-level="{esc(entry.get("level"))}" '
            f'data-role="{esc(entry.get("role"))}" data-search="{esc(search)}"')


def _chapter_label(chapter: str, entries: list[dict]) -> tuple[str, str]:
    title = next((_text(e.get("title")) for e in entries if e.get("title")), "")
    name = chapter[:-3] if chapter.endswith(".md") else chapter
    return name, title


def matrix_section(requirements: dict[str, dict]) -> str:
    rows = []
    for chapter, ids in ordered_chapters(requirements):
        name, title = _chapter_label(chapter, [requirements[i] for i in ids])
        tiles = "".join(
            f'<a class="tile {verdict_class(verdict_of(requirements[i]))}" href="#{esc(_anchor(i))}" '
            f'title="{esc(i)} · {esc(requirements[i].get("level"))} · {esc(requirements[i].get("role"))} · '
            f'{esc(verdict_of(requirements[i]))}" {_data_attrs(i, requirements[i])}>{esc(i)}</a>' for i in ids)
        rows.append(f'<tr><th>{esc(name)}<small>{esc(title)}</small></th><td><div class="tiles">{tiles}</div></td>'
                    "</tr>")
    body = "".join(rows) or '<tr><td class="muted">The document lists no requirements.</td></tr>'
    return (f'<section id="matrix"><h2>Coverage matrix by chapter</h2><div class="card"><table class="matrix">'
            f"{body}</table></div></section>")


def requirements_section(document: dict, requirements: dict[str, dict], tests_by_id: dict[str, dict],
                         budget: Budget) -> str:
    sections = []
    for chapter, ids in ordered_chapters(requirements):
        name, title = _chapter_label(chapter, [requirements[i] for i in ids])
        items = "".join(requirement_item(document, i, requirements[i], tests_by_id, budget) for i in ids)
        sections.append(f'<section class="chapter"><h3>{esc(name)} <span class="muted">{esc(title)}</span></h3>'
                        f"{items}</section>")
    return f'<section id="requirements"><h2>Requirements</h2>{"".join(sections)}</section>'


def requirement_item(document: dict, req_id: str, entry: dict, tests_by_id: dict[str, dict], budget: Budget) -> str:
    verdict = verdict_of(entry)
    findings = findings_of(entry, req_id, tests_by_id)
    text, _ = clip(entry.get("text"), 400)
    n_findings = f'<span class="nf">{len(findings)} finding{"s" if len(findings) != 1 else ""}</span>' \
        if findings else ""
    summary = (f'<summary><span class="rid">{esc(req_id)}</span><span class="badge {verdict_class(verdict)}">'
               f'{esc(verdict)}</span><span class="lvl">{esc(entry.get("level"))}</span>'
               f'<span class="role">{esc(entry.get("role"))}</span><span class="stext">{esc(text)}</span>'
               f"{n_findings}</summary>")
    body = [f"<p>{esc(clip(entry.get('text'), MAX_TEXT_BYTES)[0])}</p>"]
    why = why_of(entry)
    if why and verdict not in ("pass",):
        body.append(f'<div class="why"><b>why:</b> {clipped_pre(why, MAX_TEXT_BYTES)}</div>')
    accepted = [b for b in _list(entry.get("baseline")) if isinstance(b, dict)]
    if accepted:
        listed = "".join(f"<li>accepts <code>{esc(b.get('accepts'))}</code>"
                         + ("" if _text(b.get("reason")) in ("", why) else f": {esc(clip(b.get('reason'), 400)[0])}")
                         + "</li>" for b in accepted[:MAX_TESTS_LISTED])
        body.append(f'<h5 class="muted">baseline</h5><ul class="baseline">{listed}</ul>')
    if entry.get("observed_through"):
        body.append(f'<p class="muted">judged from: {esc(entry.get("observed_through"))}</p>')
    groups = grouped_by_code(findings)
    shown = groups[:MAX_FINDINGS_PER_REQUIREMENT]
    for number, group in enumerate(shown, 1):
        body.append(finding_block(document, req_id, verdict, group[0], number, budget, group[1:]))
    if len(groups) > len(shown):
        left = sum(len(g) for g in groups[len(shown):])
        body.append(f'<span class="note">{left} more findings ({len(groups) - len(shown)} more kinds) not shown '
                    "(see report.json)</span>")
    if not findings and verdict in PROBLEM_VERDICTS:
        records = context_of(entry, tests_by_id)
        body.extend(context_block(document, record, budget) for record in records)
        if not records and any(document.get(k) for k in ("target_output_tail", "driver_output_tail")):
            body.append(f'<div class="finding context">{tails_block(document, {}, budget)}</div>')
    examined = _list(entry.get("examined_by")) or _list(entry.get("tests"))
    if examined:
        listed = "".join(f"<li><code>{esc(t)}</code></li>" for t in examined[:MAX_TESTS_LISTED])
        more = (f'<li class="muted">… and {len(examined) - MAX_TESTS_LISTED} more</li>'
                if len(examined) > MAX_TESTS_LISTED else "")
        label = "examined by" if entry.get("examined_by") else "tests citing it"
        body.append(f'<details class="tests"><summary>{label} {len(examined)} test{"s" if len(examined) != 1 else ""}'
                    f"</summary><ul>{listed}{more}</ul></details>")
    return (f'<details class="req" id="{esc(_anchor(req_id))}" {_data_attrs(req_id, entry)}>{summary}'
            f'<div class="body">{"".join(body)}</div></details>')


def grouped_by_code(findings: list[dict]) -> list[list[dict]]:
    """Findings of the same kind (code) together, in order of first appearance: many tests often see one fault."""
    groups: dict[str, list[dict]] = {}
    for index, finding in enumerate(findings):
        code = finding.get("code")
        groups.setdefault(_text(code) if code else f"#{index}", []).append(finding)
    return list(groups.values())


def same_elsewhere(others: list[dict]) -> str:
    if not others:
        return ""
    tests = [_text(f.get("test")) or "(test not recorded)" for f in others]
    listed = "".join(f"<li><code>{esc(t)}</code></li>" for t in tests[:MAX_TESTS_LISTED])
    more = (f'<li class="muted">… and {len(tests) - MAX_TESTS_LISTED} more</li>'
            if len(tests) > MAX_TESTS_LISTED else "")
    return (f'<details class="tests"><summary>the same finding in {len(others)} more test'
            f'{"s" if len(others) != 1 else ""}</summary><ul>{listed}{more}</ul></details>')


def finding_block(document: dict, req_id: str, verdict: str, finding: dict, number: int, budget: Budget,
                  others: list[dict] = ()) -> str:
    tolerated = " tolerated" if verdict in ("known deviation", "non-strict", "informational") else ""
    code = finding.get("code") or finding.get("requirement") or req_id
    test = finding.get("test")
    head = (f'<h4>finding {number}: <code>{esc(code)}</code>'
            + (f' <span class="muted">in</span> <code>{esc(test)}</code>' if test else "") + "</h4>")
    if budget.findings <= 0:
        observed, _ = clip(finding.get("observed") or finding.get("message"), 160)
        return (f'<div class="finding{tolerated}">{head}<div>{esc(observed)}</div><span class="note">details left '
                f"out: the page shows {MAX_DETAILED_FINDINGS} findings in full (see report.json)</span>"
                f"{same_elsewhere(list(others))}</div>")
    budget.findings -= 1
    expected = finding.get("expected")
    observed = finding.get("observed") if finding.get("observed") is not None else finding.get("message")
    parts = [f'<div class="finding{tolerated}">{head}<div class="eo">',
             f'<div class="expected"><h5>expected</h5>'
             + (clipped_pre(expected, MAX_TEXT_BYTES) if expected not in (None, "") else
                '<p class="muted">not recorded separately (older report); see observed</p>') + "</div>",
             f'<div class="observed"><h5>observed</h5>{clipped_pre(observed, MAX_TEXT_BYTES)}</div></div>',
             messages_block(document, finding, budget),
             tails_block(document, finding, budget)]
    reproduce = finding.get("reproduce")
    if reproduce:
        parts.append(f'<h5>reproduce</h5><div class="repro">{clipped_pre(reproduce, MAX_TEXT_BYTES)}'
                     '<button type="button" class="copy" title="copy the command">copy</button></div>')
    if finding.get("accepted_by"):
        parts.append(f'<span class="note">accepted by the baseline: {esc(finding.get("accepted_by"))}</span>')
    parts.append(same_elsewhere(list(others)))
    parts.append("</div>")
    return "".join(parts)


def context_block(document: dict, record: dict, budget: Budget) -> str:
    """One test's record shown for a verdict that has no finding: what it reported, the messages it saw, the
    output tails and its reproduce command."""
    head = (f'<h4>test <code>{esc(record.get("nodeid"))}</code> <span class="muted">outcome</span> '
            f'{esc(record.get("outcome") or "not recorded")}</h4>')
    message = record.get("message")
    if budget.findings <= 0:
        shown, _ = clip(message, 160)
        return (f'<div class="finding context">{head}<div>{esc(shown)}</div><span class="note">details left out: the '
                f"page shows {MAX_DETAILED_FINDINGS} findings in full (see report.json)</span></div>")
    budget.findings -= 1
    parts = [f'<div class="finding context">{head}',
             f'<div class="observed"><h5>what the test reported</h5>{clipped_pre(message, MAX_TEXT_BYTES)}</div>'
             if message else "",
             messages_block(document, {"messages": record.get("trace"), "observed": message}, budget)
             if _list(record.get("trace")) else "",
             tails_block(document, {}, budget)]
    if record.get("reproduce"):
        parts.append(f'<h5>reproduce</h5><div class="repro">{clipped_pre(record.get("reproduce"), MAX_TEXT_BYTES)}'
                     '<button type="button" class="copy" title="copy the command">copy</button></div>')
    parts.append("</div>")
    return "".join(parts)


def _involved_tokens(finding: dict) -> str:
    return _text(finding.get("observed")) + " " + _text(finding.get("expected")) + " " + _text(finding.get("message"))


def _is_involved(message: dict, mentioned: str) -> bool:
    """A message the finding's text names (by correlation id or routing key): the one to look at first."""
    props = _dict(message.get("properties"))
    for value in (props.get("correlation_id"), message.get("routing_key")):
        if isinstance(value, str) and len(value) >= 8 and value in mentioned:
            return True
    return False


def messages_block(document: dict, finding: dict, budget: Budget) -> str:
    messages = [m for m in _list(finding.get("messages")) if isinstance(m, dict)]
    broker_seen = [m for m in messages if at_broker(m)]
    kit_seen = [m for m in messages if not at_broker(m)]
    observer = _dict(document.get("broker")).get("observer")
    if not messages:
        return '<h5>AMQP messages</h5><p class="muted">none recorded for this finding</p>'
    mentioned = _involved_tokens(finding)
    out = []
    allowance = min(MAX_MESSAGES_PER_FINDING, budget.messages)
    for label, group in (("as the broker saw them (firehose)", broker_seen),
                         ("as the kit sent and received them", kit_seen)):
        if not group:
            if label.startswith("as the broker") and observer != "firehose":
                out.append('<h5>as the broker saw them</h5><p class="muted">not observed: no firehose (the kit '
                           "does not own this broker; run with --broker private to see every publish)</p>")
            continue
        chosen = _choose(group, mentioned, allowance)
        allowance -= len(chosen)
        budget.messages -= len(chosen)
        rendered = "".join(message_block(m, _is_involved(m, mentioned)) for m in chosen)
        left = len(group) - len(chosen)
        note = (f'<span class="note">{left} of {len(group)} messages not shown (at most '
                f"{MAX_MESSAGES_PER_FINDING} per finding, {MAX_MESSAGES_TOTAL} per page; see report.json)</span>"
                if left else "")
        out.append(f"<h5>{esc(label)}</h5>{rendered}{note}")
    return "".join(out)


def at_broker(message: dict) -> bool:
    """A publish as the broker saw it: so marked, or a message without a direction that records the queues it was
    routed to (only the firehose knows those)."""
    direction = message.get("direction")
    return direction == "at broker" or (not direction and "routed_queues" in message)


def _choose(group: list[dict], mentioned: str, allowance: int) -> list[dict]:
    """Up to ``allowance`` messages, in their order, those named by the finding first."""
    if len(group) <= allowance:
        return group
    involved = [i for i, m in enumerate(group) if _is_involved(m, mentioned)][:max(allowance, 0)]
    rest = [i for i in range(len(group)) if i not in involved][:max(allowance - len(involved), 0)]
    return [group[i] for i in sorted(involved + rest)]


def message_block(message: dict, involved: bool) -> str:
    exchange = message.get("exchange")
    exchange_text = "(default exchange)" if exchange == "" else ("(not recorded)" if exchange is None
                                                                 else _text(exchange))
    direction = message.get("direction") or ("at broker" if at_broker(message) else "?")
    head = [f'<span class="dir">{esc(direction)}</span>']
    if message.get("role"):
        head.append(f"{esc(message.get('role'))}")
    head.append(f"exchange <b>{esc(exchange_text)}</b>")
    head.append(f"key <b>{esc(message.get('routing_key'))}</b>")
    if "routed_queues" in message:
        queues = message.get("routed_queues")
        head.append("routed to " + (esc(", ".join(_text(q) for q in queues)) if isinstance(queues, list) and queues
                                    else "<b>no queue</b>" if isinstance(queues, list) else "(not recorded)"))
    if message.get("via"):
        head.append(f"via {esc(message.get('via'))}")
    if involved:
        head.append("<b>named in the finding</b>")
    parts = [f'<div class="msg{" involved" if involved else ""}"><div class="head">{" · ".join(head)}</div>']
    for label, key in (("properties", "properties"), ("headers", "headers")):
        if key in message:
            parts.append(f'<div class="lab">{label}</div>'
                         + clipped_pre(_json(message.get(key)), MAX_MESSAGE_FIELD_BYTES))
    if "body_text" in message:
        parts.append('<div class="lab">body</div>' + clipped_pre(message.get("body_text"), MAX_MESSAGE_FIELD_BYTES))
    elif "body_base64" in message:
        parts.append('<div class="lab">body (not UTF-8; base64)</div>'
                     + clipped_pre(message.get("body_base64"), MAX_MESSAGE_FIELD_BYTES))
    elif "body" in message:
        parts.append('<div class="lab">body</div>' + clipped_pre(_json(message.get("body")), MAX_MESSAGE_FIELD_BYTES))
    if message.get("body_truncated"):
        parts.append(f'<span class="note">body cut by the kit: {esc(message.get("body_truncated"))}</span>')
    parts.append("</div>")
    return "".join(parts)


def _json(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def tails_block(document: dict, finding: dict, budget: Budget) -> str:
    out = []
    for label, key, anchor in (("target output (tail)", "target_output_tail", "target-output"),
                               ("driver output (tail)", "driver_output_tail", "driver-output")):
        own = finding.get(key)
        if own not in (None, ""):
            out.append(f"<h5>{label}</h5>" + _tail_pre(own, key))
        elif document.get(key) not in (None, ""):
            out.append(f'<h5>{label} <a href="#{anchor}">whole tail</a></h5>' + _document_tail(document, key, budget))
    return "".join(out)


def _tail_pre(value: Any, key: str) -> str:
    return clipped_pre(value, MAX_TAIL_BYTES_IN_FINDING, keep="tail", cls=key.replace("_", "-") + " tail",
                       max_lines=MAX_TAIL_LINES_IN_FINDING)


def _document_tail(document: dict, key: str, budget: "Budget") -> str:
    """The document's tail as shown in a finding, rendered once per page however many findings show it."""
    if key not in budget.tails:
        budget.tails[key] = _tail_pre(document.get(key), key)
    return budget.tails[key]


def output_section(document: dict) -> str:
    out = []
    for label, key, anchor in (("Target output (tail)", "target_output_tail", "target-output"),
                               ("Driver output (tail)", "driver_output_tail", "driver-output")):
        value = document.get(key)
        body = (clipped_pre(value, MAX_TAIL_BYTES, keep="tail", cls="tail whole") if value not in (None, "")
                else '<p class="muted">not recorded in this report</p>')
        out.append(f'<h3 id="{anchor}">{label}</h3>{body}')
    return f'<section id="output"><h2>Output</h2>{"".join(out)}</section>'
