"""Whether an imported command only reads (safe by default, issue 16.1).

An imported command is `dangerous: true` (its confirmation must be typed,
`--yes` never answers it) unless every simple command in it is on an
allow-list of read-only programs and verbs. The list errs on the side of
asking: an unknown program, a redirection into a file, `sed -i`, `curl -X
POST` or `psql` without a SELECT all count as changes, and a pipeline or
list is read-only only if each part is. `sudo`, `time`, `timeout N`,
`watch` and `env X=Y` are looked through: `sudo cat` reads, `sudo rm` changes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator

# Programs that only read, whatever their arguments (those that can write are below).
_READERS = frozenset({
    "cat", "grep", "egrep", "fgrep", "zgrep", "rg", "df", "du", "ps", "ls", "ll", "head", "tail",
    "less", "more", "wc", "sort", "uniq", "cut", "tr", "column", "jq", "yq", "awk", "dig",
    "nslookup", "host", "ping", "traceroute", "tracepath", "mtr", "uptime", "free", "top",
    "htop", "vmstat", "iostat", "mpstat", "pidstat", "sar", "netstat", "ss", "lsof", "echo",
    "printf", "date", "whoami", "id", "hostname", "uname", "which", "type", "pwd", "env",
    "printenv", "stat", "file", "findmnt", "lsblk", "blkid", "mount", "journalctl", "dmesg",
    "pgrep", "pidof", "nproc", "lscpu", "getent", "last", "w", "who", "zcat", "zless", "diff",
    "md5sum", "sha256sum", "base64", "openssl", "nc", "telnet", "true", "test", "[", "[[",
    "pg_isready", "nvidia-smi", "iotop", "tcpdump", "strace", "ip", "ifconfig", "route",
    "arp", "curlie", "http", "cd", "sleep", "xargs", "tee", "pg_controldata", "pg_lsclusters",
    "vault", "consul", "nomad", "etcdctl", "patronictl", "redis-cli", "mysql", "psql", "find",
    "sed", "kubectl", "oc", "docker-compose", "helm", "docker", "podman", "crictl", "systemctl", "service",
    "gcloud", "aws", "az", "git", "curl", "wget", "knife", "terraform", "ceph", "rados",
    "nodetool", "rabbitmqctl", "kafka-topics", "kafka-consumer-groups", "iptables", "virsh",
    "zpool", "zfs", "btrfs", "pvs", "vgs", "lvs", "crm", "pcs", "chronyc", "timedatectl",
    "hostnamectl", "loginctl", "resolvectl", "apt", "apt-cache", "dpkg", "rpm", "yum", "dnf",
})
# Programs whose first verb (after options) decides; "*" entries: any verb of that family.
_VERBS = {
    "kubectl": {"get", "describe", "logs", "top", "explain", "version", "api-resources",
                "api-versions", "cluster-info", "auth", "diff", "events", "config"},
    "oc": {"get", "describe", "logs", "status", "whoami", "version", "projects", "explain",
           "api-resources", "events", "top"},
    "helm": {"list", "ls", "status", "history", "get", "show", "search", "version", "template", "lint"},
    "docker": {"ps", "logs", "inspect", "images", "stats", "top", "version", "info", "events", "port"},
    "podman": {"ps", "logs", "inspect", "images", "stats", "top", "version", "info", "events", "port"},
    "crictl": {"ps", "pods", "logs", "inspect", "inspectp", "images", "stats", "info", "version"},
    "systemctl": {"status", "show", "list-units", "list-unit-files", "is-active", "is-enabled",
                  "is-failed", "cat", "list-timers", "list-dependencies"},
    "service": set(),  # `service X status`: checked below
    "git": {"status", "log", "show", "diff", "branch", "remote", "rev-parse", "describe", "blame"},
    "terraform": {"plan", "show", "output", "validate", "version", "state-list"},
    "patronictl": {"list", "show-config", "history", "topology", "version", "dsn"},
    "etcdctl": {"get", "endpoint", "version"},  # `member list`, `alarm list`: below
    "vault": {"status", "read", "list", "version", "token-lookup"},
    "consul": {"members", "info", "catalog", "version"},
    "nomad": {"status", "version"},
    "ceph": {"status", "health", "df", "-s", "versions", "version"},  # `ceph osd tree`…: below
    "rados": {"df", "lspools", "ls"},
    "nodetool": {"status", "info", "tpstats", "cfstats", "tablestats", "ring", "describecluster",
                 "netstats", "compactionstats", "gossipinfo", "version"},
    "rabbitmqctl": {"status", "list_queues", "list_connections", "list_channels",
                    "cluster_status", "list_consumers", "list_exchanges", "environment"},
    "knife": {"search", "show", "list", "status", "node-show", "node-list", "role-show"},
    "iptables": {"-L", "-S", "--list", "-nL", "-nvL", "-vnL", "-Lnv"},
    "virsh": {"list", "dominfo", "domstate", "nodeinfo"},
    "zpool": {"status", "list", "iostat", "history"},
    "zfs": {"list", "get"},
    "pvs": set(), "vgs": set(), "lvs": set(),
    "crm": {"status", "configure-show"},
    "pcs": {"status"},
    "chronyc": {"tracking", "sources", "sourcestats"},
    "timedatectl": {"status", "show"},
    "hostnamectl": {"status"},
    "loginctl": {"list-sessions", "show-session"},
    "resolvectl": {"status", "query"},
    "apt": {"list", "show", "search", "policy"},
    "apt-cache": {"policy", "show", "search", "depends", "rdepends"},
    "dpkg": {"-l", "-L", "-s", "--list", "--status"},
    "rpm": {"-q", "-qa", "-qi", "-ql", "-qf"},
    "yum": {"list", "info", "search", "history"},
    "dnf": {"list", "info", "search", "history"},
    "kafka-topics": {"--list", "--describe"},
    "kafka-consumer-groups": {"--list", "--describe"},
}
# Cloud CLIs: read-only when the last verb word of the command is one of these.
_CLOUD = frozenset({"gcloud", "aws", "az"})
_CLOUD_READ = re.compile(r"^(?:describe|list|get|show|ls|get-[\w-]+|describe-[\w-]+|list-[\w-]+|"
                         r"wait|tail|read|logs?|query|status)$")
_CLOUD_CHANGE = re.compile(r"^(?:delete|create|stop|start|update|set|remove|reset|resize|put|"
                           r"terminate|reboot|rm|cp|mv|sync|patch|add|attach|detach|deploy|"
                           r"restart|failover|promote|apply|run|ssh|scp|modify|restore|import|"
                           r"export|suspend|resume|disable|enable|rotate|revoke|purge)(?:-[\w-]+)?$")
_WRAPPERS = frozenset({"sudo", "time", "nice", "ionice", "nohup", "watch", "exec", "command",
                       "stdbuf", "unbuffer"})
_SEPARATORS = frozenset("|;&\n()`")
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")
_HARMLESS_REDIRECT = re.compile(r"\d?>&\d|&?\d?>>?\s*/dev/null|\d?<\s*\S+")
_SQL_READ = re.compile(r"^\s*(?:select|show|explain(?!\s+analyze)|with\s+\w+\s+as|\\d\w*|\\l|\\x|"
                       r"\\conninfo|table)\b", re.IGNORECASE)
_SQL_CHANGE = re.compile(r"\b(?:insert|update|delete|drop|alter|create|truncate|grant|revoke|"
                         r"vacuum|reindex|cluster|copy|call|do|set|reset|lock|analyze|refresh|"
                         r"pg_terminate_backend|pg_cancel_backend|pg_promote|pg_reload_conf|"
                         r"pg_switch_wal|nextval|setval)\b", re.IGNORECASE)


def is_read_only(code: str) -> bool:
    """Whether every command in a shell snippet only reads (see the module docstring)."""
    lines = [line for line in _join_continued(code).splitlines() if not line.lstrip().startswith("#")]
    body = _HARMLESS_REDIRECT.sub(" ", "\n".join(lines))
    if ">" in _unquoted(body):  # output written into a file
        return False
    inner = [m.group(1) or m.group(2) or "" for m in _SUBSTITUTION.finditer(body)]
    parts = [p.strip() for p in _split(body)]
    return all(_reads(p) for p in parts if p and p not in ("{", "}", "$")) and \
        all(is_read_only(code) for code in inner if code.strip())


def _split(body: str) -> Iterator[str]:
    """The simple commands of a snippet: split at |, ;, &, newlines and parentheses outside quotes."""
    quote = ""
    start = 0
    for i, ch in enumerate(body):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in _SEPARATORS:
            yield body[start:i]
            start = i + 1
    yield body[start:]


def _join_continued(code: str) -> str:
    return re.sub(r"\\\n", " ", code)


def _unquoted(text: str) -> str:
    return re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "''", text)


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:  # an unbalanced quote: cannot tell what runs
        return ["?"]


def _reads(command: str) -> bool:
    words = _unwrapped(_words(command))
    if not words:
        return True
    program = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if program not in _READERS:
        return False
    checker = _SPECIAL.get(program)
    if checker is not None:
        return checker(args)
    if program in _CLOUD:
        return _cloud(program, [a for a in args if not a.startswith("-")])
    allowed = _VERBS.get(program)
    return allowed is None or _first_verb(args) in allowed


def _cloud(program: str, words: list[str]) -> bool:
    """`aws SERVICE OPERATION`; gcloud / az: the first word that is a verb decides."""
    if program == "aws":
        return len(words) > 1 and bool(_CLOUD_READ.match(words[1]))
    for word in words[:5]:
        if _CLOUD_READ.match(word):
            return True
        if _CLOUD_CHANGE.match(word):
            return False
    return False


def _unwrapped(words: list[str]) -> list[str]:
    """The command run by `sudo -u x`, `timeout 5`, `env A=1`, `watch -n 5`, `FOO=1 cmd`."""
    while words:
        head = words[0]
        if re.fullmatch(r"[A-Za-z_]\w*=.*", head):
            words = words[1:]
        elif head in _WRAPPERS or (head == "env" and len(words) > 1):
            words = _skip_options(words[1:], takes_value={"-u", "-g", "-n", "-c", "-p"})
        elif head == "timeout":
            rest = _skip_options(words[1:], takes_value={"-s", "-k", "--signal"})
            words = rest[1:]
        else:
            break
    return words


def _skip_options(words: list[str], takes_value: set[str]) -> list[str]:
    i = 0
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in takes_value else 1
    return words[i:]


def _first_verb(args: list[str]) -> str:
    """The first word that is not an option or an option's value (`-n ns get` -> get)."""
    i = 0
    while i < len(args):
        word = args[i]
        if not word.startswith("-") or word in ("-L", "-S", "-nL", "-nvL", "-vnL", "-Lnv", "-l", "-s",
                                                 "-q", "-qa", "-qi", "-ql", "-qf", "--list",
                                                 "--describe", "--status"):
            return word
        if word in ("-n", "--namespace", "-c", "--context", "--kubeconfig", "-A", "--all-namespaces",
                    "--endpoints", "--cluster", "--bootstrap-server", "-o", "--zookeeper"):
            i += 1 if word in ("-A", "--all-namespaces") else 2
            continue
        i += 1
    return ""


def _kubectl(args: list[str]) -> bool:
    verb = _first_verb(args)
    if verb == "config":
        return _first_verb(args[args.index("config") + 1:]) in ("view", "get-contexts", "current-context")
    if verb == "auth":
        return "can-i" in args
    return verb in _VERBS["kubectl"]


def _docker(args: list[str]) -> bool:
    verb = _first_verb(args)
    if verb == "compose":
        return _compose(args[args.index("compose") + 1:])
    return verb in _VERBS["docker"]


def _compose(args: list[str]) -> bool:
    return _first_verb(args) in ("ps", "logs", "config", "top", "images", "version", "ls")


def _sed(args: list[str]) -> bool:
    return not any(a.startswith("-i") or a == "--in-place" for a in args)


def _find(args: list[str]) -> bool:
    return not any(a in ("-delete", "-exec", "-execdir", "-ok", "-fprint") for a in args)


def _curl(args: list[str]) -> bool:
    for i, a in enumerate(args):
        if a in ("-X", "--request"):
            return i + 1 < len(args) and args[i + 1].upper() in ("GET", "HEAD")
        if re.match(r"^-X(GET|HEAD)$", a):
            continue
        if a.startswith(("-d", "--data", "-F", "--form", "-T", "--upload", "-o", "--output",
                         "-X", "-O", "--json")):
            return False
    return True


def _wget(args: list[str]) -> bool:
    return any(a in ("-O-", "-qO-", "--spider") for a in args) or \
        any(a == "-O" and i + 1 < len(args) and args[i + 1] == "-" for i, a in enumerate(args))


def _sql(flag: str) -> Callable[[list[str]], bool]:
    def check(args: list[str]) -> bool:
        queries = [args[i + 1] for i, a in enumerate(args[:-1]) if a in (flag, "--command", "--execute")]
        queries += [a[len(flag):] for a in args if a.startswith(flag) and len(a) > len(flag)]
        return bool(queries) and all(
            all(_SQL_READ.match(q) and not _SQL_CHANGE.search(q) for q in query.split(";") if q.strip())
            for query in queries)
    return check


def _redis(args: list[str]) -> bool:
    words = _skip_options(args, takes_value={"-h", "-p", "-a", "-n", "--user", "--pass", "-u"})
    return bool(words) and words[0].lower() in ("info", "ping", "get", "keys", "scan", "ttl", "type",
                                                 "dbsize", "slowlog", "client", "config", "memory",
                                                 "llen", "hget", "hgetall", "smembers", "--scan",
                                                 "--bigkeys", "--stat", "--latency") and \
        not (words[0].lower() in ("config", "client", "slowlog") and
             (len(words) < 2 or words[1].lower() not in ("get", "list", "info")))


def _service(args: list[str]) -> bool:
    return (bool(args) and args[-1] in ("status", "--status-all")) or args == ["--status-all"]


def _openssl(args: list[str]) -> bool:
    return bool(args) and args[0] in ("s_client", "x509", "version", "verify", "crl", "req") and \
        not any(a in ("-out", "-signkey", "-new") for a in args)


def _tee(args: list[str]) -> bool:
    return all(a.startswith("-") or a == "/dev/null" for a in args)


def _xargs(args: list[str]) -> bool:
    rest = _skip_options(args, takes_value={"-n", "-I", "-P", "-L", "-d", "-s", "-a"})
    return bool(rest) and _reads(shlex.join(rest))


def _oc(args: list[str]) -> bool:
    """`oc adm top` reads; `oc adm upgrade` alone shows the status (`--to…` upgrades); the
    other `oc adm` verbs (drain, cordon, must-gather…) change something."""
    verb = _first_verb(args)
    if verb == "adm":
        rest = args[args.index("adm") + 1:]
        sub = _first_verb(rest)
        return sub == "top" or (sub == "upgrade" and rest[rest.index(sub) + 1:] == [])
    return _kubectl(args) if verb in ("config", "auth") else verb in _VERBS["oc"]


def _listing(family: str, reads: frozenset[str]) -> Callable[[list[str]], bool]:
    """`etcdctl member list`, `ceph osd tree`: a verb family whose second word decides."""
    def check(args: list[str]) -> bool:
        verb = _first_verb(args)
        if verb in _VERBS[family]:
            return True
        rest = [a for a in args[args.index(verb) + 1:] if not a.startswith("-")] if verb else []
        return bool(rest) and rest[0] in reads and verb in _FAMILIES[family]
    return check


_FAMILIES = {"etcdctl": {"member", "alarm", "endpoint"},
             "ceph": {"osd", "mon", "pg", "fs", "mds", "mgr", "auth", "orch", "health", "crash"}}
_LIST_WORDS = frozenset({"list", "ls", "tree", "stat", "dump", "perf", "df", "status", "query",
                         "get", "detail", "info", "versions", "metadata", "blocked-by", "utilization"})
# Words that make `ip`, `route`, `ifconfig` change the network rather than show it.
_NET_CHANGE = frozenset({"add", "del", "delete", "set", "change", "replace", "flush", "append",
                         "prepend", "up", "down", "exec", "attach", "detach"})


def _net(args: list[str]) -> bool:
    return not (_NET_CHANGE & set(args)) and len([a for a in args if not a.startswith("-")]) <= 3


def _no_operand(args: list[str]) -> bool:
    """`mount`, `hostname`, `date`, `arp`: reading without operands, setting with them."""
    return not [a for a in args if not a.startswith(("-", "+")) or a in ("-s", "--set", "-b", "-F")]


_SPECIAL: dict[str, Callable[[list[str]], bool]] = {
    "oc": _oc, "etcdctl": _listing("etcdctl", _LIST_WORDS), "ceph": _listing("ceph", _LIST_WORDS),
    "ip": _net, "route": _net, "arp": _no_operand, "ifconfig": _net,
    "mount": _no_operand, "hostname": _no_operand, "date": _no_operand,
    "kubectl": _kubectl, "docker": _docker, "podman": _docker, "docker-compose": _compose,
    "sed": _sed, "find": _find, "curl": _curl, "wget": _wget,
    "psql": _sql("-c"), "mysql": _sql("-e"), "redis-cli": _redis, "service": _service,
    "openssl": _openssl, "tee": _tee, "xargs": _xargs,
}
