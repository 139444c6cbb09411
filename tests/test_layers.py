"""tools/'s packages import only the packages below them, in the order tools/__init__.py gives."""

import ast

import tools
from tests.helpers import ROOT

TOOLS = ROOT / "tools"


def layers_top_down() -> list[str]:
    """The packages as tools/__init__.py's docstring lists them, the highest first."""
    return [
        line.split()[0]
        for line in (tools.__doc__ or "").splitlines()
        if line.startswith("    ") and line.split()
    ]


def imported_packages(package: str) -> set[str]:
    """The other packages of tools/ that `package`'s modules import."""
    found = set()
    for module in (TOOLS / package).rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found |= {n.split(".")[1] for n in names if n.startswith("tools.") and n != "tools"}
    return found - {package}


def test_every_package_is_in_the_list_of_layers():
    packages = {p.name for p in TOOLS.iterdir() if (p / "__init__.py").exists()}
    assert sorted(layers_top_down()) == sorted(packages)


def test_imports_only_point_down():
    order = layers_top_down()
    upward = {}
    for package in order:
        above = order[: order.index(package)]
        if up := sorted(imported_packages(package) & set(above)):
            upward[package] = up
    assert upward == {}
