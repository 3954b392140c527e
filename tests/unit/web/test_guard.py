"""web/guard.py: loopback reads open, everything else needs the token; changes need the
token and the same origin; the Host must name this server on loopback."""

from __future__ import annotations

import pytest

from runbookctl.errors import UsageError
from runbookctl.web.guard import Policy, Request, host_port, is_loopback

TOKEN = "t" * 32
LOCAL = "127.0.0.1:8765"


def _status(policy: Policy, **kw: str | None) -> int:
    refusal = policy.check(Request(**kw))  # type: ignore[arg-type]
    return 200 if refusal is None else refusal.status


def test_loopback_reads_are_open_but_only_under_this_servers_own_name() -> None:
    policy = Policy.for_bind("127.0.0.1", 8765, TOKEN)
    for host in (LOCAL, "localhost:8765", "[::1]:8765"):
        assert _status(policy, method="GET", host=host) == 200
    for host in ("evil.example:8765", "127.0.0.1:9999", "", "attacker.com"):
        assert _status(policy, method="GET", host=host) == 403  # DNS rebinding


def test_off_loopback_every_request_needs_the_token() -> None:
    policy = Policy.for_bind("0.0.0.0", 8765, TOKEN)
    assert _status(policy, method="GET", host="box:8765") == 401
    assert _status(policy, method="GET", host="box:8765", bearer="wrong" * 8) == 401
    assert _status(policy, method="GET", host="box:8765", bearer=TOKEN) == 200
    assert _status(policy, method="GET", host="box:8765", cookie=TOKEN) == 200


def test_a_change_needs_the_token_and_the_same_origin() -> None:
    policy = Policy.for_bind("127.0.0.1", 8765, TOKEN)
    post = {"method": "POST", "host": LOCAL}
    assert _status(policy, **post) == 401
    assert _status(policy, **post, bearer=TOKEN) == 200  # a tool: curl -H 'Authorization: …'
    assert _status(policy, **post, cookie=TOKEN, origin=f"http://{LOCAL}") == 200  # the page
    assert _status(policy, **post, cookie=TOKEN) == 403  # cookie alone must say its origin
    assert _status(policy, **post, cookie=TOKEN, origin="http://evil.example") == 403
    assert _status(policy, **post, bearer=TOKEN, origin="null") == 403
    assert _status(policy, **post, cookie=TOKEN, origin=f"http://{LOCAL}",
                   fetch_site="cross-site") == 403
    assert _status(policy, **post, cookie=TOKEN, origin=f"http://{LOCAL}",
                   fetch_site="same-origin") == 200


def test_a_token_is_always_there_and_a_short_one_is_refused() -> None:
    made = Policy.for_bind("127.0.0.1", 8765, None)
    assert len(made.token) >= 32 and made.token != Policy.for_bind("127.0.0.1", 8765, None).token
    with pytest.raises(UsageError, match="too short"):
        Policy.for_bind("0.0.0.0", 8765, "short")


def test_loopback_and_url_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "localhost", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "::", "example.com"))
    assert host_port("::1", 80) == "[::1]:80" and host_port("box", 80) == "box:80"


def test_an_extra_origin_behind_a_proxy_is_this_server_too() -> None:
    policy = Policy.for_bind("127.0.0.1", 8765, TOKEN, frozenset({"https://warroom.example"}))
    assert _status(policy, method="GET", host="warroom.example") == 200
    assert _status(policy, method="GET", host="other.example") == 403
    assert _status(policy, method="POST", host="warroom.example", cookie=TOKEN,
                   origin="https://warroom.example") == 200
    assert _status(policy, method="POST", host="warroom.example", cookie=TOKEN,
                   origin="https://evil.example") == 403
