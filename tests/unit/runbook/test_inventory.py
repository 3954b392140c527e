"""Host specs, inventory files and group resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import UsageError, ValidationError
from runbookctl.runbook.inventory import (
    HostSpec,
    HostSpecError,
    load_inventory,
    parse_cli_hosts,
    parse_host_spec,
    resolve_hosts,
)
from tests.helpers import write


@pytest.mark.parametrize(
    ("text", "host", "user", "port", "canonical"),
    [
        ("web1", "web1", None, None, "web1"),
        ("deploy@web1", "web1", "deploy", None, "deploy@web1"),
        ("deploy@web1:2222", "web1", "deploy", 2222, "deploy@web1:2222"),
        ("10.0.0.5:22", "10.0.0.5", None, 22, "10.0.0.5:22"),
        ("[::1]:2200", "::1", None, 2200, "[::1]:2200"),
        ("root@[fe80::1]", "fe80::1", "root", None, "root@fe80::1"),
        ("::1", "::1", None, None, "::1"),
        (" db2 ", "db2", None, None, "db2"),
    ],
)
def test_host_specs(text: str, host: str, user: str | None, port: int | None,
                    canonical: str) -> None:
    spec = parse_host_spec(text)
    assert (spec.host, spec.user, spec.port, str(spec)) == (host, user, port, canonical)
    assert parse_host_spec(str(spec)) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "bad host ''"),
        ("web1:http", "bad port in host 'web1:http'"),
        ("web1:70000", "bad port in host 'web1:70000'"),
        ("@web1", "bad user in host '@web1'"),
        ("-oProxyCommand=x", "bad host '-oProxyCommand=x'"),
        ("web1;reboot", "bad host 'web1;reboot'"),
        ("[::1", "bad host '[::1': expected [address]:port"),
    ],
)
def test_bad_host_specs_are_refused(text: str, message: str) -> None:
    with pytest.raises(HostSpecError) as err:
        parse_host_spec(text)
    assert err.value.message == message
    assert isinstance(err.value, UsageError)



def test_inventory_lists_and_mappings(tmp_path: Path) -> None:
    inventory = load_inventory(write(tmp_path / "inventory.yaml", """\
        web:
          - web1
          - deploy@web2:2222
          - {host: web3, user: ops, port: 2200, vars: {role: canary}}
        db:
          vars: {tier: db, role: replica}
          hosts:
            db1: {user: postgres, vars: {role: primary}}
            db2:
        empty: []
        """))
    assert [str(h) for h in inventory["web"]] == ["web1", "deploy@web2:2222", "ops@web3:2200"]
    assert inventory["web"][2].vars == {"role": "canary"}
    assert [str(h) for h in inventory["db"]] == ["postgres@db1", "db2"]
    assert inventory["db"][0].vars == {"tier": "db", "role": "primary"}
    assert inventory["db"][1].vars == {"tier": "db", "role": "replica"}
    assert inventory["empty"] == []


def test_missing_or_empty_inventory_is_no_groups(tmp_path: Path) -> None:
    assert load_inventory(tmp_path / "inventory.yaml") == {}
    assert load_inventory(write(tmp_path / "inventory.yaml", "\n")) == {}


def test_an_inventory_not_in_utf8_is_a_problem_at_its_byte(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_bytes(b"db: [db1]\nweb: caf\xe9.internal\n")
    with pytest.raises(ValidationError) as err:
        load_inventory(path)
    assert [p.format() for p in err.value.problems] == [f"{path}:2:9: not UTF-8 text (byte 0xe9)"]


def test_inventory_problems_point_at_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "inventory.yaml", """\
        web:
          - web1
          - {host: web2, colour: blue}
          - {user: nobody}
        db:
          hosts: [db1:notaport]
          childs: [x]
        """)
    with pytest.raises(ValidationError) as err:
        load_inventory(path)
    messages = [f"{p.pos.line}:{p.pos.col}: {p.message}" for p in err.value.problems]
    assert messages == [
        "3:18: unknown host key 'colour' (known: host, user, port, vars)",
        "4:5: a host needs 'host:' (a name or user@host:port)",
        "6:11: bad port in host 'db1:notaport'",
        "7:3: unknown group key 'childs' (known: hosts, vars)",
    ]
    assert str(path) in str(err.value)


def test_resolution_order_cli_then_runbook_then_inventory_then_spec() -> None:
    inventory = {
        "db": [HostSpec("inv-db1", "postgres")],
        "web": [HostSpec("web1"), HostSpec("web2", None, 2222, {"role": "canary"})],
    }
    runbook = {"db": ("rb-db1",), "app": ("web", "web2", "ops@web2", "solo:2200")}
    cli = {"db": ["cli-db1", "cli-db2"]}

    def resolve(names: list[str]) -> list[str]:
        return [str(h) for h in resolve_hosts(names, runbook, inventory, cli)]

    assert resolve(["db"]) == ["cli-db1", "cli-db2"]
    assert resolve(["web"]) == ["web1", "web2:2222"]
    # A runbook group may name an inventory group; a bare inventory host keeps
    # its settings; an explicit user overrides them; duplicates are dropped.
    assert resolve(["app", "web1"]) == ["web1", "web2:2222", "ops@web2", "solo:2200"]
    assert resolve(["db2.internal"]) == ["db2.internal"]
    assert resolve_hosts(["web2"], {}, inventory, {})[0].vars == {"role": "canary"}
    with pytest.raises(HostSpecError):
        resolve_hosts(["bad host"], {}, {}, {})


def test_cli_hosts_option() -> None:
    assert parse_cli_hosts(["web=a,b", "db=c", "web=d"]) == {"web": ["a", "b", "d"], "db": ["c"]}
    for bad in ("web", "=a", "web=", "web=a;b"):
        with pytest.raises(HostSpecError):
            parse_cli_hosts([bad])
