"""Follow one `runbookctl run` from the CLI to the executor: which modules it enters,
and where a call goes back up.

    python -m tests.layer_trace [--json FILE]

runs a small runbook (a command with a capture, a retried failing command, a
confirmation, a question, a manual check, a message) in this process under
sys.setprofile, and counts, over calls between runbookctl functions (module and
class bodies run by an import are left out):

- modules entered: distinct modules one of whose functions ran;
- climbs back: calls into a module that is already on the call stack below the
  caller, i.e. that the request had left to come down here (a call-back);
- up-calls (when the modules lie in the layers of pyproject.toml's import-linter
  contract): calls into a module of a higher layer, or across to an independent
  sibling.

Each is "direct" when the caller's module imports the callee's (tests/layers.py:
any import); otherwise the callee was handed to the caller, the dependency
inverted rather than the code going up: a method of a protocol the caller may
import (the Display, Prompter, Executor, OutputSink, Notices … objects passed in
as services), or a callback (a nested function, a bound method).

It only needs a `runbookctl` with `python -m runbookctl`, so an older checkout can
be measured too: PYTHONPATH=<checkout>/src python -m tests.layer_trace.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from tests.layers import imports, layer_of, layers, modules

RUNBOOK = """\
id: trace
title: One request from the CLI to the executor
inputs:
  name: {default: world}
steps:
  - id: hello
    title: Say hello
    run: echo hello {{ name }}
    capture: greeting
    readonly: true
  - id: flaky
    run: exit 3
    retries: 1
    retry_delay: 10ms
    on_failure: continue
  - id: go-on
    confirm: "Carry on after {{ greeting }}?"
  - id: pick
    ask: Which colour?
    var: colour
    type: choice
    choices: [red, blue]
  - id: look
    manual: Look at the dashboard.
  - id: done
    message: "{{ greeting }} in {{ colour }}"
"""
ANSWERS = "go-on: yes\npick: blue\nlook: done\n"

_CO_NEWLOCALS = inspect.CO_NEWLOCALS  # a function's frame (not a module or class body)


@dataclass
class Trace:
    entered: list[str] = field(default_factory=list)  # in order of first entry
    # (caller module, callee module, callee function, type of self or "") -> calls
    climbs: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    up: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    exit_code: int | None = None


class _Tracer:
    def __init__(self, stack: list[list[str]]) -> None:
        self.trace = Trace()
        self.seen: set[str] = set()
        self.stack = stack
        self.selves: dict[str, type] = {}

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        module = frame.f_globals.get("__name__", "")
        if not module.startswith("runbookctl") or not frame.f_code.co_flags & _CO_NEWLOCALS:
            return
        below = self._callers(frame.f_back)
        if below is None:
            return  # run by an import of one of our modules: not the request
        if module not in self.seen:
            self.seen.add(module)
            self.trace.entered.append(module)
        if not below or below[0] == module:
            return
        key = self._key(frame, below[0], module)
        if module in below[1:]:
            self.trace.climbs[key] += 1
        src, dst = layer_of(below[0], self.stack), layer_of(module, self.stack)
        if src is not None and dst is not None and src[1] != dst[1] and dst[0] <= src[0]:
            self.trace.up[key] += 1

    def _callers(self, back: FrameType | None) -> list[str] | None:
        """The runbookctl modules on the stack below, nearest first; None inside an import."""
        found = []
        while back is not None:
            name = back.f_globals.get("__name__", "")
            if name.startswith("runbookctl"):
                if not back.f_code.co_flags & _CO_NEWLOCALS:
                    return None
                found.append(name)
            back = back.f_back
        return found

    def _key(self, frame: FrameType, caller: str, module: str) -> tuple[str, str, str, str]:
        code = frame.f_code
        owner = frame.f_locals.get("self") if code.co_varnames[:1] == ("self",) else None
        kind = "" if owner is None else f"{type(owner).__module__}.{type(owner).__qualname__}"
        if owner is not None:
            self.selves[kind] = type(owner)
        return caller, module, code.co_qualname, kind


def _measured() -> Path:
    """The src folder of the runbookctl that ran (PYTHONPATH may point at another checkout)."""
    return Path(sys.modules["runbookctl"].__file__ or "").parents[1]


def protocols() -> dict[str, type]:
    """Every typing.Protocol of the layered package, by its module (imported now: most
    are imported only for type checking, so the run itself may not have loaded them)."""
    found = {}
    for module, path in modules(_measured()).items():
        if layer_of(module, layers()) is None or "Protocol" not in path.read_text():
            continue
        for value in vars(importlib.import_module(module)).values():
            if isinstance(value, type) and getattr(value, "_is_protocol", False) and \
                    value.__module__ == module and value.__qualname__ != "Protocol":
                found[f"{module}.{value.__qualname__}"] = value
    return found


def protocol_of(caller: str, method: str, cls: type | None, stack: list[list[str]],
                known: dict[str, type]) -> str:
    """The protocol that declares `method`, that `cls` has, and that the caller may import
    (its layer is not above the caller's), or ""."""
    where = layer_of(caller, stack)
    if cls is None or where is None or not hasattr(cls, method):
        return ""
    for name, proto in sorted(known.items()):
        home = layer_of(proto.__module__, stack)
        if home is not None and home[0] >= where[0] and method in _members(proto):
            return name
    return ""


def _members(proto: type) -> set[str]:
    return {name for klass in proto.__mro__ if klass is not object
            for name in vars(klass) if not name.startswith("_abc")}


def run_traced(workdir: Path) -> _Tracer:
    """`runbookctl run` of RUNBOOK in this process, traced."""
    (workdir / "trace.yaml").write_text(RUNBOOK)
    (workdir / "answers.yaml").write_text(ANSWERS)
    argv = ["runbookctl", "run", str(workdir / "trace.yaml"), "--no-input", "--answers",
            str(workdir / "answers.yaml"), "--report-dir", str(workdir / "reports")]
    os.environ.update(RUNBOOKCTL_STATE_DIR=str(workdir / "state"), NO_COLOR="1",
                      RUNBOOKCTL_OPERATOR="tracer")
    os.chdir(workdir)  # no runbookctl.yaml of the checkout applies
    tracer = _Tracer(layers())
    sys.argv = argv
    threading.setprofile(tracer)
    sys.setprofile(tracer)
    from runbookctl.cli.app import main  # not `python -m`: its exit would end this process

    try:
        main()
    except SystemExit as exc:
        tracer.trace.exit_code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    return tracer


def summary(tracer: _Tracer) -> dict[str, Any]:
    trace = tracer.trace
    known = protocols() if trace.up or trace.climbs else {}
    edges = {(i.importer, i.imported) for i in imports(modules(_measured()))}
    up = _classify(tracer, trace.up, known, edges)
    climbs = _classify(tracer, trace.climbs, known, edges)
    return {
        "exit_code": trace.exit_code,
        "modules_entered": len(trace.entered),
        "modules": trace.entered,
        "climbs_back_calls": sum(trace.climbs.values()),
        "climbs_back_edges": len({key[:2] for key in trace.climbs}),
        "climbs_back": climbs,
        "up_calls": up,
    }


def _classify(tracer: _Tracer, calls: Counter[tuple[str, str, str, str]],
              known: dict[str, type], edges: set[tuple[str, str]]) -> dict[str, list[str]]:
    """The calls by way: "direct" when the caller imports the callee's module; else the
    callee was handed to it: through a protocol it may import, or as a callback (a
    function, a nested one, a bound method)."""
    out: dict[str, list[str]] = {"direct": [], "protocol": [], "callback": []}
    for (caller, module, func, kind), n in sorted(calls.items()):
        line = f"{caller} -> {module}.{func} ({n} calls)"
        proto = protocol_of(caller, func.rpartition(".")[2], tracer.selves.get(kind),
                            tracer.stack, known)
        if (caller, module) in edges:
            out["direct"].append(line)
        elif proto:
            out["protocol"].append(f"{line} via {proto}")
        else:
            out["callback"].append(line)
    return out


def main() -> None:
    args = sys.argv[1:]
    to = Path(args[args.index("--json") + 1]).resolve() if "--json" in args else None
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="layer-trace-") as tmp:
        result = summary(run_traced(Path(tmp)))
        os.chdir(here)
    if to is not None:
        to.write_text(json.dumps(result, indent=1))
        return
    print(f"exit code {result['exit_code']}; {result['modules_entered']} modules entered; "
          f"{result['climbs_back_calls']} calls climb back to a module the request had left "
          f"({result['climbs_back_edges']} distinct module pairs)")
    for title, key in (("climbs back", "climbs_back"), ("up a layer", "up_calls")):
        for way, lines in result[key].items():
            for line in lines:
                print(f"  {title}, {way}: {line}")


if __name__ == "__main__":
    main()
