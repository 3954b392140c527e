"""Names and words with a fixed meaning in a runbook: the one home of each rule.

- reserved step ids: the flow words a step id would be mistaken for (`next: end`,
  `on_no: skip`, `on_failure: continue`); the loader refuses them as ids, the
  importers and `runbookctl new` steer around them, the JSON schema excludes them;
- names a template gives a meaning to (every template, some fields, Jinja2's own):
  the loader refuses them as input/var/capture/secret names, the importers rename
  placeholders that would take one, validate knows them in scope;
- template file names: a `message:` naming a file under templates/ rather than
  inline text, and the names a lookup under templates/ accepts.

Imports only the model (its flow words): everything else may import this.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from runbookctl.runbook.model import ABORT, ASK, CONTINUE, END, SKIP

# A step with one of these ids could never be the target of `next:`/`on_no:`/`on_failure:`.
RESERVED_STEP_IDS: tuple[str, ...] = (END, ABORT, SKIP, CONTINUE, ASK)

# Names every template sees besides the runbook's own variables (safety/templating).
BUILTIN_NAMES = frozenset({"steps", "run", "now"})
# Globals of Jinja2's sandboxed environment: a variable called so would hide one.
JINJA_GLOBALS = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace"})
# Names only some fields see: `result` in expect/until/next conditions, `host` in ssh.
RESULT = frozenset({"result"})
HOST = frozenset({"host"})
# Jinja2's literals, operators and the names it binds inside blocks (loop, self, super).
JINJA_WORDS = frozenset({"true", "false", "none", "True", "False", "None", "and", "or", "not",
                         "in", "is", "if", "else", "loop", "self", "super"})
# A variable called so could not be used, or would hide the built-in meaning.
RESERVED_NAMES = BUILTIN_NAMES | RESULT | HOST | JINJA_GLOBALS | JINJA_WORDS

# A `message:` naming a file under templates/ rather than inline text.
TEMPLATE_SUFFIXES = (".j2", ".md", ".txt")


def is_template_name(text: str) -> bool:
    """A message value naming a template file rather than inline text: one word ending
    in a TEMPLATE_SUFFIXES suffix."""
    value = text.strip()
    return bool(value) and not any(c.isspace() for c in value) and value.endswith(TEMPLATE_SUFFIXES)


def is_inside_templates(name: str) -> bool:
    """`name` stays inside a templates/ folder: relative, no `..` (comms/x.md.j2 is fine).
    A message must not read /etc/motd.txt or ../secrets.md through the template lookup."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def template_suffixes_text() -> str:
    """`.j2, .md or .txt`: how the suffixes read in the schema and in messages."""
    *first, last = TEMPLATE_SUFFIXES
    return f"{', '.join(first)} or {last}"
