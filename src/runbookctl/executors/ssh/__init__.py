"""SSH commands over paramiko (not fabric: client.py's docstring says why).

Owns the executor that runs one command on many hosts at once (`client`), one
command on one host (`host_run`) and the sh lines it sends (`remote_shell`),
connections with host keys checked against known_hosts, ProxyJump and the
per-run pool (`connections`), why a host could not be reached in words
(`reasons`), the config file's `ssh:` settings as the executor uses them
(`settings`) and where a host spec leads through the ssh config (`targets`), read
as ssh reads it: Includes, then /etc/ssh/ssh_config (`config_files`).

`host_run` and `connections` import paramiko; nothing loads them until a run
first needs its SSH executor, and `targets` stays free of it at import time
(the CLI resolves hosts before any connection is made). Same imports as its
parent, runbookctl.executors: runbook, safety and the base modules only. Importing
this package puts a stand-in for invoke in place (`_Deferred`), which paramiko
imports only for `Match exec` configs.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from typing import Any


class _Deferred(types.ModuleType):
    """Stands for invoke until something reads one of its names, then is the real one.

    paramiko imports invoke when it is installed (fabric brings it), only to run a
    config's `Match exec`; that import was a third of paramiko's (~50 ms of each run
    with an ssh step). importlib's LazyLoader would not do: Python 3.11's import
    statement reads `__spec__`, which loads it at once. The first name read loads it,
    under a lock: paramiko reads it from several threads at once, a lookup a host."""

    _lock = threading.RLock()  # invoke's own import may read a name of it again
    _module = "invoke"  # not self.__name__: reading a missing name must not recurse

    def __getattr__(self, name: str) -> Any:  # only for names the stand-in has not
        with _Deferred._lock:
            real = sys.modules.get(self._module, self)
            if real is None:  # someone blocked the module, as importlib allows
                raise ImportError(f"import of {self._module} halted; None in sys.modules")
            if real is self:
                sys.modules.pop(self._module, None)
                try:
                    real = importlib.import_module(self._module)
                except AttributeError as exc:  # would read as "no such name" to the caller
                    sys.modules[self._module] = self
                    raise ImportError(f"cannot import {self._module}: {exc}") from exc
                except BaseException:
                    sys.modules[self._module] = self
                    raise
        return getattr(real, name)


def _defer_invoke() -> None:
    if "invoke" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("invoke")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        stand_in = _Deferred("invoke")
        stand_in.__spec__, stand_in.__loader__ = spec, spec.loader  # find_spec works on it
        sys.modules["invoke"] = stand_in


_defer_invoke()
