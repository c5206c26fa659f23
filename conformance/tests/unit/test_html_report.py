"""The HTML report: self-contained, escapes everything the target wrote, bounded in size, and renders any document,
old or incomplete."""

from __future__ import annotations

import base64
import hashlib
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nameko_conformance import html_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from report_documents import ALL_VERDICTS, HOSTILE, HUGE_BODY_BYTES, synthetic_document  # noqa: E402


class Page(HTMLParser):
    """Every element and attribute of a page, and the text inside its script and style elements."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._inside: str | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._inside = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag):
        if tag == self._inside:
            self._inside = None

    def handle_data(self, data):
        if self._inside == "script":
            self.scripts[-1] += data
        elif self._inside == "style":
            self.styles[-1] += data
        else:
            self.text.append(data)

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]

    def by_class(self, cls: str) -> list[tuple[str, dict]]:
        return [(name, attrs) for name, attrs in self.tags if cls in (attrs.get("class") or "").split()]


@pytest.fixture(scope="module")
def hostile_page() -> tuple[str, Page]:
    markup = html_report.render(synthetic_document())
    return markup, Page(markup)


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def test_hostile_content_stays_text(hostile_page):
    markup, page = hostile_page
    assert len(page.all("script")) == 1 and len(page.all("style")) == 1
    assert not page.all("img") and not page.all("svg") and not page.all("textarea")
    handlers = [(tag, name) for tag, attrs in page.tags for name in attrs if name.startswith("on")]
    assert handlers == []
    assert page.scripts == [html_report.JS] and page.styles == [html_report.CSS]  # nothing injected into either
    text = "".join(page.text)
    assert "<script>window.__pwned=1</script></textarea>" in text  # shown to the reader, as text
    assert "\\ud800" in text  # a lone surrogate is shown escaped, and the page still encodes
    markup.encode("utf-8")


def test_page_loads_nothing_and_pins_its_script_and_style(hostile_page):
    markup, page = hostile_page
    for tag, attrs in page.tags:
        for name in ("src", "srcset", "action", "formaction", "poster", "data"):
            assert name not in attrs, (tag, name)
        if "href" in attrs:
            assert attrs["href"].startswith("#") or attrs["href"] == "data:,", (tag, attrs["href"])
        assert "style" not in attrs, tag  # inline style attributes would need 'unsafe-inline'
    assert not re.search(r"https?://", page.scripts[0] + page.styles[0])
    policy = next(a["content"] for a in page.all("meta") if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert csp_hash(page.scripts[0]) in policy and csp_hash(page.styles[0]) in policy


def test_every_verdict_has_its_colour_a_legend_entry_and_a_filter(hostile_page):
    _, page = hostile_page
    legend_values = {attrs["value"] for attrs in page.all("input") if "fv" in attrs.get("class", "")}
    assert legend_values == set(ALL_VERDICTS)
    tiles = [attrs for name, attrs in page.by_class("tile")]
    assert {t["data-verdict"] for t in tiles} == set(ALL_VERDICTS)
    for tile in tiles:
        assert html_report.verdict_class(tile["data-verdict"]) in tile["class"].split()
        assert "v-other" not in tile["class"]
    options = {attrs.get("value") for attrs in page.all("option")}
    assert {"MUST", "SHOULD", "MAY", "server", "client", "any"} <= options


def test_failure_shows_expected_observed_messages_output_and_reproduce(hostile_page):
    markup, page = hostile_page
    failing = markup[markup.index('id="req-RPC-REPLY-2"'):markup.index('id="req-RPC-REPLY-3"')]
    for piece in ("expected", "observed", "as the broker saw them", "as the kit sent and received them",
                  "target output (tail)", "driver output (tail)", "last target line", "last driver line",
                  "reproduce", 'class="copy"', "nameko-conformance run --target-cmd",
                  "(default exchange)", "not UTF-8; base64", "body cut by the kit"):
        assert piece in failing, piece
    assert "gate" in markup and ">FAIL<" in markup and "12.5 s" in markup


def test_size_is_bounded_and_cuts_are_announced(hostile_page):
    markup, _ = hostile_page
    assert "x" * HUGE_BODY_BYTES not in markup
    assert f"{HUGE_BODY_BYTES - html_report.MAX_MESSAGE_FIELD_BYTES} more bytes not shown" in markup
    shown = html_report.MAX_MESSAGES_PER_FINDING
    assert "messages not shown" in markup and f"at most {shown} per finding" in markup
    assert "earlier bytes not shown" in markup  # the 2000-line target output is cut from the front


def test_pathological_document_stays_bounded():
    big_message = {"direction": "at broker", "exchange": "x", "routing_key": "k", "properties": {"p": "v" * 50_000},
                   "headers": {"h": "<" * 50_000}, "body_text": "<" * 200_000}
    finding = {"code": "X/y", "expected": "e" * 100_000, "observed": "<" * 100_000, "messages": [big_message] * 100,
               "reproduce": "r" * 100_000, "test": "t"}
    requirements = {f"REQ-{i}": {"level": "MUST", "role": "server", "chapter": f"{i % 17:02d}-c.md", "text": "t",
                                 "verdict": "fail", "findings": [dict(finding, code=f"X/{n}") for n in range(10)] * 3}
                    for i in range(300)}
    document = {"requirements": requirements, "target_output_tail": "<" * 10_000_000,
                "driver_output_tail": "<" * 10_000_000}
    markup = html_report.render(document)
    assert len(markup.encode("utf-8")) < 12_000_000
    assert markup.count('class="msg') <= html_report.MAX_MESSAGES_TOTAL
    assert "details left out" in markup  # findings past the page's budget get one line each
    assert "more findings (2 more kinds) not shown" in markup


@pytest.mark.parametrize("document", [
    {}, None, [], {"requirements": None}, {"requirements": {"X-1": {}}}, {"requirements": {"X-1": None}},
    {"summary": {"gate": True, "counts": {"pass": 3}}},
    {"requirements": {"X-1": {"verdict": "a verdict from the future",
                              "findings": [{}, None, {"messages": [None, {}]}]}}},
    {"requirements": {"X-1": {"verdict": "fail", "findings": "not a list", "level": 3, "role": ["x"]}},
     "tests": "nope", "broker": "nope", "target": {"capabilities": None}},
])
def test_incomplete_documents_render(document):
    markup = html_report.render(document)
    page = Page(markup)
    assert page.all("main") and len(page.all("script")) == 1


def test_unknown_verdict_is_drawn_plainly():
    markup = html_report.render({"requirements": {"X-1": {"verdict": "a verdict from the future", "chapter": "c"}}})
    assert 'class="tile v-other"' in markup and "a verdict from the future" in markup


def test_old_document_evidence_becomes_a_finding_with_the_tests_trace():
    document = {
        "broker": {"observer": "spy"},
        "requirements": {"RPC-REPLY-1": {
            "level": "MUST", "role": "server", "chapter": "03-rpc-reply.md", "text": "t", "verdict": "fail",
            "tests": ["t::a"], "evidence": [{"test": "t::a", "message": "saw key 'abcdef12-reply' on ''",
                                             "reproduce": "nameko-conformance run --req RPC-REPLY-1"}]}},
        "tests": [{"nodeid": "t::a", "outcome": "failed",
                   "trace": [{"direction": "sent", "exchange": "nameko-rpc", "routing_key": "svc.m",
                              "properties": {}, "body_text": "{}"},
                             {"direction": "received", "exchange": "", "routing_key": "abcdef12-reply",
                              "properties": {}, "body_text": "{\"result\": 1}"}]}],
    }
    markup = html_report.render(document)
    assert "saw key &#x27;abcdef12-reply&#x27; on &#x27;&#x27;" in markup
    assert "nameko-conformance run --req RPC-REPLY-1" in markup
    assert markup.count('class="msg involved"') == 1  # the reply the message names is marked
    assert "not observed: no firehose" in markup
    assert "not recorded in this report" in markup  # no output tails in an old document


def test_gate_and_counts_come_from_the_document():
    passing = html_report.render({"summary": {"gate": True},
                                  "requirements": {"A-1": {"verdict": "pass"}, "A-2": {"verdict": "pass"}}})
    assert 'class="gate pass"' in passing and "pass 2" in passing
    assert 'class="gate unknown"' in html_report.render({})


def test_requirements_sort_naturally_within_a_chapter():
    markup = html_report.render({"requirements": {f"R-{n}": {"chapter": "c"} for n in (10, 2, 1)}})
    assert markup.index(">R-1<") < markup.index(">R-2<") < markup.index(">R-10<")


def test_findings_of_one_kind_are_shown_once_with_the_other_tests_listed():
    findings = [{"code": "R-1/same", "expected": "e", "observed": "o", "test": f"t::{n}"} for n in range(30)]
    findings.append({"code": "R-1/other", "expected": "e2", "observed": "o2", "test": "t::x"})
    markup = html_report.render({"requirements": {"R-1": {"verdict": "fail", "findings": findings}}})
    assert markup.count('class="finding') == 2 and "31 findings" in markup
    assert "the same finding in 29 more tests" in markup and "… and 17 more" in markup


def test_output_tails_keep_whole_last_lines():
    assert html_report.clip("a\nbb\nccc\ndddd\n", 9, keep="tail") == ("dddd\n", 9)
    assert html_report.clip("1\n2\n3\n4\n", 100, keep="tail", max_lines=2) == ("3\n4\n", 4)
    assert html_report.clip("no newline at all", 4, keep="tail") == (" all", 13)
    assert html_report.clip("é" * 10, 5) == ("éé", 16)  # never half a character


@pytest.mark.parametrize("verdict", ["masked", "inconclusive", "stale baseline", "kit error"])
def test_problem_verdict_without_findings_shows_what_its_tests_saw(verdict):
    document = {
        "target_output_tail": "target's last line", "driver_output_tail": "driver's last line",
        "requirements": {"R-1": {"verdict": verdict, "why": "because <b>", "tests": ["t::ok", "t::bad"]},
                         "R-2": {"verdict": "pass", "tests": ["t::bad"]}},
        "tests": [{"nodeid": "t::ok", "outcome": "passed"},
                  {"nodeid": "t::bad", "outcome": "inconclusive", "message": "no reply within 5 s",
                   "reproduce": "nameko-conformance run --req R-1",
                   "trace": [{"direction": "sent", "exchange": "nameko-rpc", "routing_key": "svc.m",
                              "body_text": "{}"}]}],
    }
    markup = html_report.render(document)
    item = markup[markup.index('id="req-R-1"'):markup.index('id="req-R-2"')]
    assert "because &lt;b&gt;" in item and "no reply within 5 s" in item
    assert item.index("t::bad") < item.index("t::ok")  # the test that did not pass comes first
    for piece in ("svc.m", "target&#x27;s last line", "driver&#x27;s last line", "nameko-conformance run --req R-1",
                  'class="copy"'):
        assert piece in item, piece
    passing = markup[markup.index('id="req-R-2"'):]
    assert "no reply within 5 s" not in passing.split("</details>")[0]  # a pass needs no such context


def test_baseline_entries_and_where_a_verdict_was_judged_are_shown():
    markup = html_report.render({"requirements": {"R-1": {
        "verdict": "known deviation", "observed_through": "firehose",
        "baseline": [{"accepts": "R-1/slug", "reason": "nameko <2.14> does this"}],
        "findings": [{"code": "R-1/slug", "accepted_by": "R-1/slug", "observed": "o", "expected": "e"}]}}})
    assert "accepts <code>R-1/slug</code>: nameko &lt;2.14&gt; does this" in markup
    assert "judged from: firehose" in markup and "accepted by the baseline: R-1/slug" in markup
    assert 'class="finding tolerated"' in markup
