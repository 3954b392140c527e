"""The shape issue #13 asks for, checked on src/runbookctl: no module over 400 lines, no
import cycle, every import going down the layers of pyproject.toml's import-linter
contract. Unlike `lint-imports`, a failure names each offending import by file:line,
and every import counts (lazy ones inside functions, `if TYPE_CHECKING:` ones)."""

from __future__ import annotations

from pathlib import Path

from tests.layers import cycles, describe, imports, layer_violations, layers, modules

MAX_LINES = 400

def _long_modules() -> dict[str, int]:
    return {name: n for name, path in modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}


def test_no_module_is_over_400_lines() -> None:
    long = _long_modules()
    assert long == {}, f"modules over {MAX_LINES} lines (split them along a seam): {long}"


def test_no_import_cycle_between_modules() -> None:
    found = cycles(imports(modules()))
    assert not found, "import cycles:\n" + "\n".join(describe(c) for c in found.values())


def test_every_import_goes_down_the_layers() -> None:
    stack = layers()
    assert len(stack) >= 5 and ["runbookctl.cli"] in stack  # the contract was read
    bad = layer_violations(imports(modules()), stack)
    assert bad == [], "imports against the layers (pyproject.toml [tool.importlinter]):\n" + \
        "\n".join(bad)


# The checks themselves, on a small package with one of each fault.

def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return modules(tmp_path, "pkg")


FAULTY = {
    "__init__.py": "",
    "low/__init__.py": "",
    "low/a.py": "def f():\n    from pkg.low import b\n",  # lazy: still an import
    "low/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
    "low/c.py": "import pkg.high.d\n",  # up a layer
    "high/__init__.py": "",
    "high/d.py": "from ..low.c import x\n",
    "side/__init__.py": "",
    "side/e.py": "\n\nfrom pkg.high import d\n",  # across to an independent sibling
}


def test_a_cycle_through_lazy_and_type_checking_imports_is_named(tmp_path: Path) -> None:
    found = cycles(imports(_package(tmp_path, FAULTY)))
    assert set(found) == {frozenset({"pkg.low.a", "pkg.low.b"}),
                          frozenset({"pkg.low.c", "pkg.high.d"})}
    text = describe(found[frozenset({"pkg.low.a", "pkg.low.b"})])
    assert text == (f"pkg.low.a -> pkg.low.b ({tmp_path}/pkg/low/a.py:2) "
                    f"-> pkg.low.a ({tmp_path}/pkg/low/b.py:3)")


def test_an_import_up_a_layer_or_across_is_named_with_file_and_line(tmp_path: Path) -> None:
    stack = [["pkg.high", "pkg.side"], ["pkg.low"]]
    bad = layer_violations(imports(_package(tmp_path, FAULTY)), stack)
    assert bad == [
        f"{tmp_path}/pkg/low/c.py:1: pkg.low.c imports pkg.high.d, a higher layer",
        f"{tmp_path}/pkg/side/e.py:3: pkg.side.e imports pkg.high.d, an independent sibling "
        "(pkg.side | pkg.high)",
    ]
