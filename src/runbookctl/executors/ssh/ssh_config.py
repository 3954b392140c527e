"""The OpenSSH client config read and looked up as paramiko's `SSHConfig` does, without
importing paramiko (~50 ms of every run with an ssh step: cryptography,
importlib.metadata), which the libssh2 path of a large step never needs otherwise.

A port of paramiko/config.py (3.x, unchanged since in what is ported here), its quirks
kept so that a host resolves exactly as before: `Host` patterns split as shell words
(not on commas), `Match host a,b` on commas; `*`, `?` and `[...]` globs, `!` excluding;
the first value found wins, IdentityFile and the forwards accumulate; `Match` criteria
compared as written (config_files.py lower-cases them and drops those paramiko cannot
evaluate); canonicalization; the `%` tokens and `~` of HostName, IdentityFile,
ProxyJump, ProxyCommand and ControlPath expanded after the lookup, key by key in the
order the keys were found (paramiko knows no `%%`); `ProxyCommand none` is None, any
other `none` a string. A config paramiko refuses is refused with paramiko's message.

`Match exec` runs its command through invoke, as paramiko does; config_files makes such
a block apply to no host when invoke cannot be imported (`load_invoke`).
"""

from __future__ import annotations

import fnmatch
import getpass
import os
import re
import shlex
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha1
from types import ModuleType
from typing import Any

SSH_PORT = 22
_SETTING = re.compile(r"(\w+)(?:\s*=\s*|\s+)(.+)")  # paramiko's SETTINGS_REGEX
_LISTS = ("identityfile", "localforward", "remoteforward")  # every value kept, in order
_BARE = ("all", "canonical", "final")  # the Match criteria without an argument

# The tokens each key's value has expanded (paramiko's TOKENS_BY_CONFIG_KEY).
TOKENS: dict[str, tuple[str, ...]] = {
    "controlpath": ("%C", "%h", "%l", "%L", "%n", "%p", "%r", "%u"),
    "hostname": ("%h",),
    "identityfile": ("%C", "~", "%d", "%h", "%l", "%u", "%r"),
    "proxycommand": ("~", "%h", "%p", "%r"),
    "proxyjump": ("%h", "%p", "%r"),
    "match-exec": ("%C", "%d", "%h", "%L", "%l", "%n", "%p", "%r", "%u"),
}
# The order paramiko replaces them in: a value one brings in is expanded by the later.
_ORDER = ("%C", "%d", "%h", "%L", "%l", "%n", "%p", "%r", "%u", "~")

Options = dict[str, Any]  # option -> str, list[str] (_LISTS) or None (ProxyCommand none)


class ConfigParseError(ValueError):
    """A config text that cannot be read (paramiko's ConfigParseError, same message)."""


class ConfigLookupError(ValueError):
    """A host the config cannot be applied to: paramiko raised here too (a failed
    canonicalization, CanonicalizeHostname without CanonicalDomains, a bad
    CanonicalizeMaxDots, `Match exec` without invoke)."""


@dataclass(frozen=True)
class Criterion:
    """One criterion of a `Match` line, as written: `!user root` is ("user", "root", True)."""

    kind: str
    param: str | None = None
    negate: bool = False


@dataclass
class Block:
    """A `Host` block (its patterns) or a `Match` block (its criteria) and its options;
    the lines before the first block are in `Host *`."""

    hosts: list[str] = field(default_factory=list)
    matches: list[Criterion] = field(default_factory=list)
    options: Options = field(default_factory=dict)


def load_invoke() -> ModuleType | None:
    """invoke, which runs `Match exec` commands; None when it cannot be imported (paramiko
    then fails every lookup of such a config). Importing it here is cheap: the package's
    stand-in (executors/ssh/__init__.py) loads it at its first use."""
    try:
        import invoke
    except ImportError:
        return None
    return invoke


class ClientConfig:
    """An OpenSSH client config text, parsed once; `lookup` for each host."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        # The hosts of a fan-out mostly share a name (ports, users differ): a name is
        # looked up once (~0.15 ms each), unless a `Match exec` may answer otherwise later.
        self._found: dict[str, Options] | None = None if any(
            c.kind == "exec" for b in blocks for c in b.matches) else {}

    @classmethod
    def from_text(cls, text: str) -> ClientConfig:
        """Parse `text` (ConfigParseError or ValueError where paramiko raises)."""
        blocks: list[Block] = []
        block = Block(hosts=["*"])
        for raw in text.split("\n"):  # as StringIO reads it: "\n" ends a line, no other
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            found = _SETTING.match(line)
            if not found:
                raise ConfigParseError(f"Unparsable line {line}")
            key, value = found.group(1).lower(), found.group(2)
            if key in ("host", "match"):
                blocks.append(block)
                block = Block(hosts=_hosts(value)) if key == "host" else Block(
                    matches=_matches(value))
            elif key == "proxycommand" and value.lower() == "none":
                block.options[key] = None  # the last one of its block, as in paramiko
            else:
                if value.startswith('"') and value.endswith('"'):
                    value = value[1:-1]
                if key in _LISTS:
                    block.options.setdefault(key, []).append(value)
                elif key not in block.options:
                    block.options[key] = value
        blocks.append(block)
        return cls(blocks)

    def lookup(self, hostname: str) -> Options:
        """The options for `hostname`, keys in lower case: paramiko's SSHConfig.lookup (two
        passes over the blocks, `Match final` in the second; HostName is `hostname` when
        the config gives none). A new dict each time: the caller's to change."""
        if self._found is None:
            return self._looked_up(hostname)
        found = self._found.get(hostname)
        if found is None:
            found = self._found[hostname] = self._looked_up(hostname)
        return {k: list(v) if isinstance(v, list) else v for k, v in found.items()}

    def _looked_up(self, hostname: str) -> Options:
        options = self._lookup(hostname, {}, canonical=False, final=False)
        if "hostname" not in options:
            options["hostname"] = hostname
        canon = options.get("canonicalizehostname") in ("yes", "always")
        try:
            maxdots = int(options.get("canonicalizemaxdots", 1))
        except ValueError as exc:
            raise ConfigLookupError(f"bad CanonicalizeMaxDots: {exc}") from None
        if canon and hostname.count(".") <= maxdots:
            if "canonicaldomains" not in options:
                raise ConfigLookupError("CanonicalizeHostname without CanonicalDomains")
            hostname = _canonicalize(hostname, options, options["canonicaldomains"].split())
            options["hostname"] = hostname
            return self._lookup(hostname, options, canonical=True, final=True)
        return self._lookup(hostname, options, canonical=False, final=True)

    def _lookup(self, hostname: str, options: Options, canonical: bool, final: bool
                ) -> Options:
        for block in self.blocks:
            if not (_pattern_matches(block.hosts, hostname)
                    or _does_match(block.matches, hostname, canonical, final, options)):
                continue
            for key, value in block.options.items():
                if key not in options:
                    options[key] = value[:] if value is not None else value
                elif key == "identityfile":  # new files only, one at a time
                    for name in value:
                        if name not in options[key]:
                            options[key].append(name)
        if final:
            _expand(options, hostname)
        return options


def _hosts(value: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError:
        raise ConfigParseError(f"Unparsable host {value}") from None


def _matches(value: str) -> list[Criterion]:
    """A Match line's criteria (shlex's ValueError for an unclosed quote, as paramiko)."""
    criteria: list[Criterion] = []
    tokens = shlex.split(value)
    while tokens:
        kind = tokens.pop(0)
        negate = kind.startswith("!")
        kind = kind[1:] if negate else kind
        if kind in _BARE:
            criteria.append(Criterion(kind, None, negate))
            continue
        if not tokens:
            raise ConfigParseError(f"Missing parameter to Match '{kind}' keyword")
        criteria.append(Criterion(kind, tokens.pop(0), negate))
    kinds = [c.kind for c in criteria]
    if "all" in kinds:
        ok = [k for k in kinds if k in ("all", "canonical")]
        if any(k for k in kinds if k not in ("all", "canonical")):  # paramiko's any(bad)
            raise ConfigParseError(
                "Match does not allow 'all' mixed with anything but 'canonical'")
        if "canonical" in ok and ok.index("canonical") > ok.index("all"):
            raise ConfigParseError("Match does not allow 'all' before 'canonical'")
    return criteria


def _pattern_matches(patterns: list[str] | str, target: str) -> bool:
    """Whether `target` matches a pattern and no `!pattern` (a string: comma-separated)."""
    if isinstance(patterns, str):
        patterns = patterns.split(",")
    matched = False
    for pattern in patterns:
        if pattern.startswith("!") and fnmatch.fnmatch(target, pattern[1:]):
            return False
        if fnmatch.fnmatch(target, pattern):
            matched = True
    return matched


def _does_match(criteria: list[Criterion], target: str, canonical: bool, final: bool,
                options: Options) -> bool:
    """Whether a Match block applies: every criterion passes (`all` at once), each
    reading the HostName and User found so far."""
    for criterion in criteria:
        kind, param = criterion.kind, criterion.param or ""
        passed: bool | None = None
        if kind == "canonical" and canonical == criterion.negate:
            return False
        if kind == "final":
            passed = final
        elif kind == "all":
            return True
        elif kind == "host":
            passed = _pattern_matches(param, options.get("hostname") or target)
        elif kind == "originalhost":
            passed = _pattern_matches(param, target)
        elif kind == "user":
            passed = _pattern_matches(param, options.get("user") or getpass.getuser())
        elif kind == "localuser":
            passed = _pattern_matches(param, getpass.getuser())
        elif kind == "exec":
            passed = _run(_tokenize(options, target, "match-exec", param))
        if passed is not None and passed == criterion.negate:
            return False
    return bool(criteria)


def _run(command: str) -> bool:
    """A `Match exec` command's verdict, run as paramiko runs it: its stdout hidden,
    stderr shown, exit 0 passes."""
    invoke = load_invoke()
    if invoke is None:
        raise ConfigLookupError("Match exec needs python's invoke, which is not installed")
    result = invoke.run(command, hide="stdout", warn=True)
    return bool(result is not None and result.ok)


def _canonicalize(hostname: str, options: Options, domains: list[str]) -> str:
    """The first `hostname.domain` that resolves (in AddressFamily's family, if one is
    set); `hostname` itself unless CanonicalizeFallbackLocal is other than `yes`."""
    for domain in domains:
        candidate = f"{hostname}.{domain}"
        if _family_lookup(candidate, options):
            return candidate
        try:
            if socket.gethostbyname(candidate):
                return candidate
        except (socket.gaierror, UnicodeError):
            pass
    if options.get("canonicalizefallbacklocal", "yes") == "yes":
        return hostname
    raise ConfigLookupError(f"could not canonicalize {hostname}")


def _family_lookup(hostname: str, options: Options) -> list[Any] | None:
    """getaddrinfo for `hostname` in AddressFamily's family (with canonical names); None
    when it is `any` (or unset) or the name does not resolve."""
    family = str(options.get("addressfamily", "any")).lower()
    if family == "any":
        return None
    try:
        return socket.getaddrinfo(hostname, None,
                                  socket.AF_INET if family == "inet" else socket.AF_INET6,
                                  socket.SOCK_DGRAM, socket.IPPROTO_IP, socket.AI_CANONNAME)
    except socket.gaierror:
        return None


def _local_fqdn(local_hostname: str, options: Options) -> str:
    """The local host's FQDN as paramiko's LazyFqdn finds it (asked only for `%l`)."""
    for *_, canonname, _sa in _family_lookup(local_hostname, options) or ():
        if canonname and "." in canonname:
            return str(canonname)
    return socket.getfqdn()


def _expand(options: Options, target: str) -> None:
    """Expand the tokens of every value, in place, key by key in the options' order:
    a key after HostName sees it expanded, one before it does not (as in paramiko)."""
    for key, value in options.items():
        if isinstance(value, list):
            value[:] = [_tokenize(options, target, key, v) for v in value]
        elif value is not None:
            options[key] = _tokenize(options, target, key, value)


def _tokenize(options: Options, target: str, key: str, value: str) -> str:
    """`value` with the tokens `key` allows replaced, in paramiko's order and with its
    values (%C: sha1 of local host, target, repr(port), remote user)."""
    allowed = TOKENS.get(key)
    if not allowed:
        return value
    local_hostname = socket.gethostname().split(".")[0]
    port = options.get("port", SSH_PORT)
    local_user = getpass.getuser()
    remote_user = options.get("user", local_user)
    home = os.path.expanduser("~")
    values: dict[str, Callable[[], str]] = {
        "%C": lambda: sha1((local_hostname + target + repr(port) + remote_user).encode()
                           ).hexdigest(),
        "%d": lambda: home,
        "%h": lambda: target if key == "hostname" else str(options.get("hostname", target)),
        "%L": lambda: local_hostname,
        "%l": lambda: _local_fqdn(local_hostname, options),
        "%n": lambda: target,
        "%p": lambda: str(port),
        "%r": lambda: str(remote_user),
        "%u": lambda: local_user,
        "~": lambda: home,
    }
    for token in _ORDER:
        if token in allowed and token in value:
            value = value.replace(token, values[token]())
    return value
