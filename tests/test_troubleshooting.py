"""Every message a user can see has its answer in docs/troubleshooting.md: each one-line error
and doctor line that the tools and the Makefile print is found in their code, and must be quoted
in a code span of that page (its beginning at least, with examples for what varies)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.helpers import ROOT

TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"
# Calls whose first or second argument is what a user reads.
SAYS = {"fail": 1, "warn": 1, "error": 0, "exit": 1}
# A message needs this many letters of its own text to be told apart (not just "{error}").
OWN_TEXT = 8
# A doc quote must give this much of the message's own text.
QUOTED = 20


@dataclass(frozen=True)
class Message:
    where: str  # file:line
    pieces: tuple[str | None, ...]  # the text, None where a value goes

    def __str__(self) -> str:
        return "".join("…" if piece is None else piece for piece in self.pieces)


def pieces_of(node: ast.expr, constants: dict[str, str]) -> tuple[str | None, ...] | None:
    """A string expression as text and holes, or None when it is not a string; a module's
    string constant named in it is read as its text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.JoinedStr):
        return tuple(
            value.value
            if isinstance(value, ast.Constant)
            else constants.get(getattr(value.value, "id", ""))
            for value in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = pieces_of(node.left, constants), pieces_of(node.right, constants)
        return None if left is None or right is None else left + right
    return None


def kit_errors() -> set[str]:
    """The kit's own exceptions, whose message is the one line a user sees, and argparse's (a
    RuntimeError or ValueError is a bug, not a message)."""
    classes = {"ArgumentTypeError"}
    for path in (ROOT / "tools").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", "") == "Exception" for base in node.bases
            ):
                classes.add(node.name)
    return classes


ERRORS = kit_errors()


def said_in(call: ast.Call) -> ast.expr | None:
    """The argument of a call that is a user's message, if the call prints or raises one."""
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    if name in ERRORS and call.args:
        return call.args[0]
    if name in SAYS and len(call.args) > SAYS[name]:
        return call.args[SAYS[name]]
    if name == "print" and any(
        k.arg == "file" and "stderr" in ast.unparse(k.value) for k in call.keywords
    ):
        return call.args[0] if call.args else None
    return None


def python_messages() -> Iterator[Message]:
    for path in sorted((ROOT / "tools").rglob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (argument := said_in(node)) is not None:
                pieces = pieces_of(argument, constants)
                if pieces is not None:
                    yield Message(f"{path.relative_to(ROOT)}:{node.lineno}", pieces)


MAKE_ERROR = re.compile(r"\$\(error ((?:[^()]|\([^()]*\))*)\)|echo \"(error: [^\"]*)\" >&2")
MAKE_VALUE = re.compile(r"\$\$?\((?:[^()]|\([^()]*\))*\)|\$\$\w+|\\")


def makefile_messages() -> Iterator[Message]:
    text = (ROOT / "Makefile").read_text()
    for match in MAKE_ERROR.finditer(text):
        said = match[1] or match[2]
        line = text.count("\n", 0, match.start()) + 1
        parts = MAKE_VALUE.split(said)
        pieces: list[str | None] = []
        for index, part in enumerate(parts):
            pieces += [None] * (index > 0) + [part]
        yield Message(f"Makefile:{line}", tuple(pieces))


def own_text(message: Message) -> int:
    """Letters of the message's own text, less a program's name in front (`kube_proxy: …`)."""
    first, *rest = message.pieces
    first = re.sub(r"^\w+: ", "", first or "")
    return sum(len(re.sub(r"[^A-Za-z]", "", piece or "")) for piece in [first, *rest])


MESSAGES = [m for m in [*python_messages(), *makefile_messages()] if own_text(m) >= OWN_TEXT]


def quotes() -> list[str]:
    """The page's code spans (one broken over lines read as one line) and the lines of its code
    blocks."""
    text = TROUBLESHOOTING.read_text()
    blocks = re.findall(r"^ *```[^\n]*\n(.*?)^ *```", text, re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^ *```[^\n]*\n.*?^ *```", "", text, flags=re.MULTILINE | re.DOTALL)
    spans = re.findall(r"`([^`]+)`", prose)
    return [" ".join(quote.split()) for quote in [*spans, *"\n".join(blocks).splitlines()]]


def matches_from(
    pieces: tuple[str | None, ...], quote: str, at: int, quoted: int, enough: int
) -> bool:
    """Whether the quote, from `at`, reads as the message's pieces, or as their beginning;
    a hole takes any text (the quote's example value)."""
    if not pieces or at == len(quote):
        return quoted >= enough or not pieces
    first, rest = pieces[0], pieces[1:]
    if first is None:
        return any(
            matches_from(rest, quote, end, quoted, enough) for end in range(at + 1, len(quote) + 1)
        )
    text = quote[at:]
    if text.startswith(first):
        return matches_from(rest, quote, at + len(first), quoted + len(first.strip()), enough)
    # The quote stops inside this piece: enough of the message was quoted.
    return first.startswith(text) and quoted + len(text.strip()) >= enough


def quoted(message: Message, quotes: list[str]) -> bool:
    """Whether a quote, from anywhere in it (after `FAIL python  ` or a program's name), reads as
    the message (an `error: ` in front of it or not)."""
    pieces = tuple(piece for piece in message.pieces if piece != "")
    if pieces[0] is not None:
        pieces = tuple(p for p in (pieces[0].removeprefix("error: "), *pieces[1:]) if p != "")
    # Enough of the message's own text: QUOTED characters, or half of a shorter one's.
    enough = min(QUOTED, sum(len(piece.strip()) for piece in pieces if piece) // 2)
    return any(
        matches_from(pieces, quote, start, 0, enough)
        for quote in quotes
        for start in range(len(quote))
        if pieces[0] is None or pieces[0][:1] == quote[start]
    )


def test_the_messages_are_found_in_the_code():
    # Enough of them that a broken search would show: doctor's, the tools', the Makefile's.
    found = {message.where.split(":")[0] for message in MESSAGES}
    assert {
        "tools/doctor/preflight.py",
        "tools/cluster/commands.py",
        "tools/traffic/watcher.py",
        "Makefile",
    } <= found
    assert len(MESSAGES) > 60


@pytest.mark.parametrize("message", MESSAGES, ids=lambda message: message.where)
def test_every_message_is_quoted_in_troubleshooting(message):
    assert quoted(message, quotes()), f"{message.where}: `{message}` is not in {TROUBLESHOOTING}"


def test_a_quote_matches_a_message_only_with_its_own_text():
    message = Message("x", ("cannot reach ", None, ": ", None))
    assert quoted(message, ["watch: cannot reach http://127.0.0.1:30080: connection refused"])
    assert quoted(message, ["cannot reach http://x"])
    assert not quoted(message, ["can"])
    assert not quoted(message, ["reach http://x: y"])
    assert not quoted(message, ["can reach http://x: y"])
