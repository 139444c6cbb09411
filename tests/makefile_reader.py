"""The Makefile read as text, for tests that derive what they check from it: each target's
recipe with the Makefile's own macros and variables expanded, and whether it reaches a cluster
(kubectl, kind or the kit's tools, directly, through a script under hack/ or through another
target it makes)."""

from __future__ import annotations

import re
from functools import cache

from tests.helpers import ROOT

MAKEFILE = ROOT / "Makefile"
# The line every cluster-changing recipe starts with.
GUARD = "$(GUARD)"
# Checks that name a tool, not use it: left as they are, so that they do not count as a use.
OPAQUE = {"GUARD", "NEED_PYTHON", "NEED_KUBECTL", "NEED_KIND", "NEED_DOCKER", "require"}
# What a recipe runs to reach a cluster, once the Makefile's variables are expanded.
REACHES = re.compile(r"\$\(KUBECTL\)|\$\(KIND\)|-m tools\.|\bkubectl\b|\bkind (?!-)")
SCRIPT = re.compile(r"\bhack/[\w./-]+\.sh\b")
SUB_MAKE = re.compile(r"\$\(MAKE\)((?: +[^ ;|&]+)+)")


def logical_lines(text: str) -> list[str]:
    """The Makefile's lines with backslash continuations joined."""
    return text.replace("\\\n", " ").splitlines()


@cache
def definitions() -> dict[str, str]:
    """Every variable and `define` of the Makefile, by name, unexpanded."""
    found: dict[str, str] = {}
    lines = iter(logical_lines(MAKEFILE.read_text()))
    for line in lines:
        if match := re.match(r"define (\w+)$", line):
            body = []
            for inner in lines:
                if inner == "endef":
                    break
                body.append(inner.removeprefix("\t"))
            found[match[1]] = "\n".join(body)
        elif match := re.match(r"([A-Za-z_][\w]*) *(?:\?|:)?= *(.*)$", line):
            found[match[1]] = match[2]
    return found


def references(text: str):
    """Each `$(...)` of the text, outermost only: (start, end, inside), parentheses balanced."""
    position = 0
    while (start := text.find("$(", position)) >= 0:
        depth, end = 0, start + 1
        while end < len(text):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
            end += 1
        yield start, end + 1, text[start + 2 : end]
        position = end + 1


def split_arguments(text: str) -> list[str]:
    """`a,b,c` split at the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def expand(text: str, depth: int = 0) -> str:
    """`$(NAME)` and `$(call NAME,a,b)` replaced by the Makefile's definitions, recursively;
    anything else (`$(if ...)`, a setting of the user's) kept as it is."""
    if depth > 10:
        return text
    pieces, position = [], 0
    for start, end, inside in references(text):
        name, *arguments = (
            split_arguments(inside.removeprefix("call "))
            if inside.startswith("call ")
            else (inside,)
        )
        pieces.append(text[position:start])
        position = end
        if name in OPAQUE or name not in definitions():
            pieces.append(text[start:end])
            continue
        body = definitions()[name]
        for number, argument in enumerate(arguments, start=1):
            body = body.replace(f"$({number})", argument)
        pieces.append(expand(body, depth + 1))
    return "".join(pieces) + text[position:]


@cache
def recipes() -> dict[str, list[str]]:
    """Each target's recipe lines, expanded, in order."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in logical_lines(MAKEFILE.read_text()):
        if line.startswith("\t") and current is not None:
            current.extend(expand(line.strip().lstrip("@")).splitlines())
        elif match := re.match(r"([a-z0-9][\w-]*):(?!=)", line):
            current = found.setdefault(match[1], [])
        elif line and not line.startswith("#"):
            current = None
    return {target: [line.strip().lstrip("@") for line in lines] for target, lines in found.items()}


def reaches_a_cluster(target: str, seen: frozenset[str] = frozenset()) -> bool:
    lines = [line for line in recipes().get(target, []) if line != GUARD]
    text = "\n".join(lines)
    if REACHES.search(text):
        return True
    for script in SCRIPT.findall(text):
        if REACHES.search((ROOT / script).read_text()):
            return True
    for match in SUB_MAKE.finditer(text):
        made = [word for word in match[1].split() if not word.startswith("-") and "=" not in word]
        if any(t not in seen and reaches_a_cluster(t, seen | {target}) for t in made):
            return True
    return False


def guarded(target: str) -> bool:
    """The recipe's first line is the guard."""
    lines = recipes().get(target, [])
    return bool(lines) and lines[0] == GUARD


def phony_targets() -> list[str]:
    """The targets the .PHONY lines name (one per section), in the Makefile's order."""
    lines = re.findall(r"^\.PHONY: (.+)$", MAKEFILE.read_text(), re.MULTILINE)
    return [target for line in lines for target in line.split()]
