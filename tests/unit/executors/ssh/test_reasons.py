"""How a failed connection is put in words (the real sockets: tests/integration/test_ssh_reasons.py)."""

from __future__ import annotations

import errno
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbookctl.executors.ssh.reasons import SHOWN, dial_failure, shown


@given(st.binary(max_size=400))
def test_whatever_a_server_sends_is_shown_on_one_safe_line(data: bytes) -> None:
    text = shown(data)
    assert text.startswith("'") and text.endswith("'")
    assert text.isprintable()  # no newline, escape, bidi override or other control character
    assert len(text) <= SHOWN + 3


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126,
                                      blacklist_characters="'\\"), max_size=SHOWN))
def test_plain_text_is_shown_as_it_is(plain: str) -> None:
    assert shown(plain.encode()) == f"'{plain}'"


@pytest.mark.parametrize(("exc", "elapsed", "said"), [
    (OSError(errno.ENETUNREACH, "Network is unreachable"), 0.6,
     "cannot reach db:22: network unreachable (after 0.6s)"),
    (OSError(errno.EHOSTUNREACH, "No route to host"), 0.05,
     "cannot reach db:22: no route to host (after 50ms)"),
    (TimeoutError(errno.ETIMEDOUT, "Connection timed out"), 0.6,
     "cannot reach db:22: connection timed out (after 0.6s)"),  # the network said so, early
    (TimeoutError("timed out"), 3.0, "db:22 did not answer within 3s (host down or unreachable)"),
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), 0.0,
     "connection refused by db:22 (no SSH server on that port)"),
    (socket.gaierror(-2, "Name or service not known"), 0.0, "cannot resolve host name 'db'"),
])
def test_dial_failures_say_what_happened(exc: OSError, elapsed: float, said: str) -> None:
    assert dial_failure(exc, "db:22", "db", 3.0, elapsed) == said


@pytest.mark.parametrize(("exc", "answered", "said"), [
    (Exception("No authentication methods available"), True,
     "authentication failed for ops@db1:22: no key to offer (set ssh.identity_file or "
     "IdentityFile, or add a key to the agent)"),
    (EOFError(), True, "db1:22 closed the connection during the SSH handshake"),
    (TimeoutError(), True, "SSH handshake with db1:22 timed out after 5s"),
    (Exception("Incompatible ssh peer"), True, "SSH handshake with db1:22 failed: Incompatible ssh peer"),
    (EOFError(), False, ""),  # no banner yet: banner_failure says it
])
def test_why_a_handshake_failed(exc: BaseException, answered: bool, said: str) -> None:
    from runbookctl.executors.ssh.reasons import banner_failure, handshake_failure

    got = handshake_failure(exc, "ops", "db1:22", 5.0, 0.2, b"", answered)
    assert got == (said or banner_failure(exc, "db1:22", 5.0, 0.2, b""))
