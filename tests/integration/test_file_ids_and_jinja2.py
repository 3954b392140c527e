"""#12.11: ids taken from file names follow the `id:` rule (one function), shown escaped;
an installed jinja2 older than 3.1.6 (sandbox escapes) is refused before anything runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import run_cli

pytestmark = pytest.mark.integration

BODY = "title: From its file name\nsteps:\n  - id: s\n    run: touch {out}/ran\n"
NAMES = {
    "space": ("a b", "a b"),
    "command substitution": ("$(touch canary)", "$(touch canary)"),
    "right-to-left override": ("invoice\u202egpj.yaml", "invoice\\u202egpj.yaml"),
    "newline": ("two\nlines", "two\\nlines"),
    "escape": ("red\x1b[31m", "red\\x1b[31m"),
    "upper case": ("Restart", "Restart"),
    "65 characters": ("r" * 65, "r" * 65),
}


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_an_id_from_a_file_name_follows_the_id_rule(kind: str, tmp_path: Path) -> None:
    name, shown = NAMES[kind]
    folder = tmp_path / "rb"
    folder.mkdir()
    path = folder / f"{name}.yaml"
    path.write_text(BODY.format(out=tmp_path))
    for args in (["validate", str(path)], ["run", str(path), "--no-input"]):
        result = run_cli(args, cwd=tmp_path, state=tmp_path / "state")
        assert result.code == 2, result.output
        assert f"{folder}/{shown}.yaml:1:1: the file name gives the runbook id " in result.stderr
        assert "which is not a valid id: " in result.stderr
        assert "rename the file or add `id:`" in result.stderr
        assert "Traceback" not in result.output
    listed = run_cli(["--runbooks", str(folder), "list"], cwd=tmp_path, state=tmp_path / "state")
    assert listed.code == 0, listed.output
    assert shown[:30] in listed.stdout  # (a long id wraps in the table)
    for raw in ("\u202e", "\x1b", "two\nlines"):
        assert raw not in listed.stdout
    assert not (tmp_path / "ran").exists() and not (tmp_path / "canary").exists()


def test_a_bad_file_name_with_an_id_key_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "My Runbook.yaml"
    path.write_text("id: my-runbook\n" + BODY.format(out=tmp_path))
    result = run_cli(["run", str(path), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert (tmp_path / "ran").exists()


def _fake_jinja2(tmp_path: Path, version: str) -> str:
    """A folder that, first on PYTHONPATH, holds jinja2 as installed at `version`: a copy of
    the real package saying that version (its code unchanged), with its metadata."""
    import shutil

    import jinja2

    site = tmp_path / f"fake-{version}"
    package = site / "jinja2"
    shutil.copytree(Path(jinja2.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = package / "__init__.py"
    text, count = re.subn(r'^__version__ = ".*"$', f'__version__ = "{version}"',
                          init.read_text(), flags=re.M)
    assert count == 1
    init.write_text(text)
    info = site / f"jinja2-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: Jinja2\nVersion: {version}\n")
    return str(site)


@pytest.mark.parametrize("version", ["3.1.5", "3.1.4", "3.0.3", "2.11.3"])
def test_an_older_jinja2_is_refused_before_anything_runs(version: str, tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text("id: plain\n" + BODY.format(out=tmp_path))  # no template at all
    site = _fake_jinja2(tmp_path, version)
    for args in (["run", str(path), "--no-input"], ["validate", str(path)]):
        result = run_cli(args, cwd=tmp_path, state=tmp_path / "state", PYTHONPATH=site)
        if args[0] == "validate" and result.code == 0:
            continue  # nothing to render: validate never builds a sandbox here
        assert result.code == 2, result.output
        assert f"runbookctl: jinja2 {version} is installed; runbookctl needs jinja2 >= 3.1.6 " \
               "(earlier releases let a template escape the sandbox): pip install " \
               "'jinja2>=3.1.6'" in result.stderr
    assert not (tmp_path / "ran").exists()
    assert not (tmp_path / "state" / "runs").exists()


def test_a_template_is_never_rendered_with_an_older_jinja2(tmp_path: Path) -> None:
    path = tmp_path / "templated.yaml"
    path.write_text("id: templated\ntitle: T\nsteps:\n  - id: s\n    message: '{{ 7 * 7 }}'\n")
    result = run_cli(["validate", str(path)], cwd=tmp_path, state=tmp_path / "state",
                     PYTHONPATH=_fake_jinja2(tmp_path, "3.1.5"))
    assert result.code == 2, result.output
    assert "runbookctl needs jinja2 >= 3.1.6" in result.stderr


def test_the_current_jinja2_and_a_newer_one_run(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text("id: plain\n" + BODY.format(out=tmp_path))
    result = run_cli(["run", str(path), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state",
                     PYTHONPATH=_fake_jinja2(tmp_path, "3.2.0"))
    assert result.code == 0, result.output
    assert (tmp_path / "ran").exists()
