"""cli/commands/serve.py: where it listens, what it refuses, and that nothing else loads
the web stack (start-up is benchmarked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from runbookctl.cli.commands.serve import configured_origin, listen
from runbookctl.errors import UsageError

WEB_STACK = ("starlette", "uvicorn", "sse_starlette", "anyio", "runbookctl.web.app")


def test_port_0_takes_a_free_port_and_a_taken_port_is_a_clear_error() -> None:
    sock = listen("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        assert port > 0
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1:{port}: "):
            other = listen("127.0.0.1", port)
            other.close()
    finally:
        sock.close()
    with pytest.raises(UsageError, match="--port 70000"):
        listen("127.0.0.1", 70000)
    with pytest.raises(UsageError, match=r"cannot listen on no-such-host\.invalid"):
        listen("no-such-host.invalid", 0)


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["runs", "--help"]])
def test_help_never_loads_the_web_stack(args: list[str]) -> None:
    code = ("import sys\nfrom runbookctl.cli.app import app\n"
            f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {WEB_STACK!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_read_side_loads_no_web_stack() -> None:
    """`watch` follows runs through web/follow.py: it must not pull Starlette in."""
    code = ("import sys\nimport runbookctl.web.follow, runbookctl.web.present\n"
            f"print(sorted(m for m in {WEB_STACK!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_config_url_is_an_origin_this_server_answers_as() -> None:
    assert configured_origin(None) == frozenset()
    assert configured_origin("https://warroom.example:8443/base/") == {"https://warroom.example:8443"}
    with pytest.raises(UsageError, match="not an http"):
        configured_origin("warroom.example")
