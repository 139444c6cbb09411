"""One place for versions: every version hack/versions.env pins appears nowhere else in the kit's
files, but where it is generated from that file (a `<!-- pin: KEY -->` in the docs, drawn by
`make report-docs`) or is a measurement's record (a results file, a generated table). Python's
packages are pinned in requirements*.txt only."""

from __future__ import annotations

import re
import subprocess

from tests.helpers import ROOT
from tools.cli.versions import FILE, PINS

# A version as it is written in text: 1.37, v0.33.0, 3.14, or an image digest.
TOKEN = re.compile(r"(?<![\w.-])(v?\d+(?:\.\d+)+|sha256:[0-9a-f]{64})(?![\w.])")
# Where a pin may stand: generated from versions.env or from a measurement.
GENERATED = re.compile(
    r"<!-- (pin: \w+|report: [\w-]+|measured) -->.*?<!-- /(pin|report|measured) -->", re.DOTALL
)
# Files that are records or others' code: measurements, kind's vendored kindnetd source (its own
# go.mod), the Gateway API's CRDs (generated from its module), and the files that hold the pins.
NOT_THE_KITS = ("docs/report/", "hack/kind-offline/kindnetd/", "k8s/gateway/crds.yaml")
PIN_FILES = {str(FILE.relative_to(ROOT)), "requirements.txt", "requirements-dev.txt",
             "requirements-actionlint.txt"}  # fmt: skip


def pinned_tokens(pins: dict[str, str]) -> dict[str, str]:
    """Each version token of every pin, without its v, and the key that pins it."""
    return {
        token.removeprefix("v"): key
        for key, value in pins.items()
        for token in TOKEN.findall(value)
    }


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [
        name
        for name in listed
        if name not in PIN_FILES and not name.startswith(NOT_THE_KITS) and (ROOT / name).is_file()
    ]


def strays(text: str, tokens: dict[str, str]) -> list[tuple[int, str, str]]:
    """(line, token, key) of every pinned version outside a generated span."""
    kept = GENERATED.sub(lambda m: "\n" * m[0].count("\n"), text)
    return [
        (kept.count("\n", 0, match.start()) + 1, match[1], tokens[match[1].removeprefix("v")])
        for match in TOKEN.finditer(kept)
        if match[1].removeprefix("v") in tokens
    ]


def test_no_pinned_version_appears_outside_the_one_file():
    tokens = pinned_tokens(PINS)
    found = []
    for name in tracked_files():
        try:
            text = (ROOT / name).read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{name}:{line}: {token} ({key})" for line, token, key in strays(text, tokens)]
    assert found == [], "pinned in hack/versions.env, written again:\n" + "\n".join(found)


def test_the_search_finds_a_version_written_again_and_spares_a_generated_one():
    tokens = pinned_tokens({"KIND_VERSION": "v0.98.0", "KUBERNETES_NEWEST": "1.98"})
    text = (
        "kind v0.98.0 here\n"
        "kind <!-- pin: KIND_VERSION -->v0.98.0<!-- /pin --> there\n"
        "Kubernetes 1.98, not 1.98.2 nor 11.98\n"
    )
    assert strays(text, tokens) == [
        (1, "v0.98.0", "KIND_VERSION"),
        (3, "1.98", "KUBERNETES_NEWEST"),
    ]
