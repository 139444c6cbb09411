"""The README stays the attendee's path, and no relative link in the docs leads nowhere."""

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

README = ROOT / "README.md"
# An attendee reads the README alone on the day: the rest lives in docs/ (and labs/).
README_MAX_LINES = 200
DOCS = sorted(
    [README, *(ROOT / "docs").glob("*.md"), *(ROOT / "labs").glob("**/*.md")],
    key=str,
)

FENCE = re.compile(r"^ *(```|~~~).*?^ *\1 *$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#* *$", re.M)
ANCHOR = re.compile(r"<a id=\"([^\"]+)\"")


def prose(text: str) -> str:
    """The text without code blocks: a `# comment` in a bash block is no heading."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to dashes."""
    text = heading.lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = path.read_text()
    found = set(ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(prose(text)):
        base = slug(heading)
        # A repeated heading gets -1, -2, ... as on GitHub.
        found.add(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return found


def relative_links(path: Path) -> list[str]:
    text = INLINE_CODE.sub("", prose(path.read_text()))
    # http:, https:, mailto: are not ours to check.
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def test_readme_is_at_most_200_lines():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines: move text to docs/"


def test_every_workshop_step_says_what_you_should_see():
    text = README.read_text().split("## The workshop, step by step", 1)[1].split("\n## ", 1)[0]
    steps = re.split(r"^\d+\. ", text, flags=re.M)[1:]
    assert len(steps) >= 5
    for number, step in enumerate(steps, 1):
        assert "You should now see" in step, f"step {number} has no checkpoint"


def test_the_readme_warns_about_make_test_and_the_switch_to_safe():
    text = " ".join(README.read_text().split())
    assert "whole end-to-end suite**: many minutes" in text
    assert "shows some failures during this switch**" in text


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    broken = []
    for target in relative_links(path):
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists():
            broken.append(f"{target}: no file {linked.relative_to(ROOT)}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading or <a id> '{anchor}' in {linked.name}")
    assert not broken, f"{path.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_slug_rules_match_githubs():
    assert slug("How long kube-proxy takes: `make propagation`") == (
        "how-long-kube-proxy-takes-make-propagation"
    )
    assert slug("The crash drill on kind: one burst, and the port proxy's trap") == (
        "the-crash-drill-on-kind-one-burst-and-the-port-proxys-trap"
    )
    assert slug("The workshop, step by step") == "the-workshop-step-by-step"
