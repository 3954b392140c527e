"""Markdown playbook -> a tree of sections holding blocks, for `runbookctl import`.

Parsing is markdown-it's (CommonMark + tables): nested lists, fences inside
list items and setext headings come out right. Also the text helpers the
importer shares: mojibake repair, inline Markdown to plain text, slugs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it.tree import SyntaxTreeNode

_CHECKBOX = re.compile(r"^\[([ xX])\]\s+")


@dataclass(frozen=True)
class Item:
    """One list item: its first paragraph (inline Markdown) and what is nested under it."""

    text: str
    checkbox: bool
    blocks: tuple[Block, ...]
    line: int


@dataclass(frozen=True)
class Block:
    """A paragraph, a list, a code block or a table, in document order."""

    kind: str  # para | list | code | table
    text: str = ""  # para: inline Markdown; code: the code; table: its source
    lang: str = ""  # code: the fence's language word, lowercased
    ordered: bool = False
    items: tuple[Item, ...] = ()
    line: int = 0  # 1-based


@dataclass
class Section:
    """A heading (level 0: the text before the first heading) and what it holds."""

    title: str
    level: int
    line: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    parent: Section | None = None

    def ancestors(self) -> list[Section]:
        """Parents, nearest first."""
        out: list[Section] = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out


def parse_markdown(text: str, title: str) -> Section:
    """The section tree of a Markdown document; the root is titled `title`."""
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

    env: dict[str, dict[str, dict[str, str]]] = {}
    tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(text, env))
    doc = _Doc(text.splitlines(), env.get("references", {}))
    root = Section(title, 0, 1)
    stack = [root]
    for node in tree.children:
        if node.type == "heading":
            level = int(node.tag[1])
            while stack[-1].level >= level:
                stack.pop()
            section = Section(doc.inline(node), level, _line(node), parent=stack[-1])
            stack[-1].children.append(section)
            stack.append(section)
        else:
            stack[-1].blocks += _blocks(node, doc)
    return root


# `[text][ref]`, `[text][]` and `[ref]` (not `[x](url)`, not a definition `[ref]: url`)
_REF_LINK = re.compile(r"(!?)\[((?:[^\[\]`]|\[[^\[\]`]*\])+)\](?:\[([^\[\]]*)\])?(?![(:])")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)


@dataclass(frozen=True)
class _Doc:
    """What every block of one document needs: its lines, its link reference definitions."""

    lines: list[str]
    refs: dict[str, dict[str, str]]

    def inline(self, node: SyntaxTreeNode) -> str:
        """A paragraph's inline Markdown, reference-style links written as `[text](url)`.

        The definitions (`[ref]: url`, anywhere in the document) are not blocks of
        their own, so a link is kept only if it is resolved where it is used (16.2).
        """
        return self.resolve(inline_text(node))

    def resolve(self, text: str) -> str:
        """Markdown text with its reference-style links resolved."""
        if not self.refs or "[" not in text:
            return text
        out, pos = [], 0
        for code in _CODE_SPAN.finditer(text):  # never inside `code`
            out += [_REF_LINK.sub(self._link, text[pos: code.start()]), code.group(0)]
            pos = code.end()
        return "".join([*out, _REF_LINK.sub(self._link, text[pos:])])

    def _link(self, found: re.Match[str]) -> str:
        bang, label_text, label = found.groups()
        key = " ".join((label or label_text).split()).lower().upper()
        ref = self.refs.get(key)
        if ref is None:
            return found.group(0)
        return f"{bang}[{label_text}]({ref['href']})"


def _line(node: SyntaxTreeNode) -> int:
    return node.map[0] + 1 if node.map else 0


def inline_text(node: SyntaxTreeNode) -> str:
    """The inline Markdown source of a paragraph or heading."""
    return "".join(c.content for c in node.children if c.type == "inline").strip()


def _blocks(node: SyntaxTreeNode, doc: _Doc) -> list[Block]:
    kind = node.type
    if kind in ("paragraph", "heading"):
        return [Block("para", doc.inline(node), line=_line(node))]
    if kind in ("fence", "code_block"):
        lang = (node.info or "").strip().split(" ")[0].strip("{}.").lower() if kind == "fence" else ""
        return [Block("code", node.content, lang=lang, line=_line(node))]
    if kind in ("bullet_list", "ordered_list"):
        items = tuple(_item(child, doc) for child in node.children)
        return [Block("list", ordered=kind == "ordered_list", items=items, line=_line(node))]
    if kind == "table" and node.map:
        source = "\n".join(doc.lines[node.map[0]: node.map[1]])
        return [Block("table", doc.resolve(source), line=_line(node))]
    if kind == "blockquote":
        return [b for child in node.children for b in _blocks(child, doc)]
    if kind == "html_block":
        text = html_text(node.content)
        return [Block("para", text, line=_line(node))] if text else []
    return []  # rules


_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def html_text(html: str) -> str:
    """The words of an HTML block an operator should read: tags dropped; a comment only
    when it warns (a lint directive is not for the operator, a "do not" is)."""
    text = _COMMENT.sub(lambda m: m.group(1) if WARNING_RE.search(m.group(1)) else "", html)
    lines = (" ".join(_TAG.sub(" ", line).split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _item(node: SyntaxTreeNode, doc: _Doc) -> Item:
    children = list(node.children)
    text = ""
    if children and children[0].type == "paragraph":
        text = doc.inline(children.pop(0))
    found = _CHECKBOX.match(text)
    if found:
        text = text[found.end():]
    blocks = tuple(b for child in children for b in _blocks(child, doc))
    return Item(text, found is not None, blocks, _line(node))


# --- text helpers ------------------------------------------------------------------

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


def _as_bytes(run: str, codec: str) -> bytes:
    out = bytearray()
    for ch in run:
        try:
            out += ch.encode(codec)
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                raise
            out.append(ord(ch))  # a byte the codec leaves undefined, carried through as latin-1
    return bytes(out)


def _repair(match: re.Match[str]) -> str:
    run = match.group(0)
    for codec in ("cp1252", "mac_roman"):
        try:
            return _as_bytes(run, codec).decode("utf-8")
        except UnicodeError:
            continue
    return run


def fix_mojibake(text: str) -> str:
    """UTF-8 once decoded as Windows-1252 or Mac Roman ("â€”", "‚úÖ") decoded again.

    Only runs of non-ASCII characters that decode cleanly are touched, so real
    accents and symbols ("café", "—") stay as they are.
    """
    return _NON_ASCII_RUN.sub(_repair, text)


_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
# Strong emphasis may span the lines of a paragraph, as in Markdown, and opens and
# closes next to text: "2 ** 3" or "a ** b" in a formula is no emphasis; `__` only
# at the edges of words, never inside one (/srv/__cache or snake__case stay).
_EMPHASIS = re.compile(r"\*\*(?=\S)([\s\S]+?)(?<=\S)\*\*|(?<!\w)__(?=\S)([\s\S]+?)(?<=\S)__(?!\w)"
                       r"|(?<![\w*])\*(?!\s)([^*]+?)\*(?!\w)")


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")  # Markdown's backslash escapes
_CODE_SPAN = re.compile(r"`[^`]+`")
_BARE_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>()]+")


def plain(md: str, *, links: bool = True, code: bool = True) -> str:
    """Inline Markdown as text: emphasis dropped, links as `text (url)`.

    `links=False` keeps only a link's text; `code=False` drops backticks.
    """
    kept: list[str] = []

    def aside(text: str) -> str:
        kept.append(text)
        return f"\x00{len(kept) - 1}\x00"

    # What is never markup is set aside while links and emphasis are read, then put
    # back: an escaped character (\\* is a star), a code span (`rm -rf /a/**/*.gz`),
    # a URL (.../__init__). Text holding NUL already has none of it set aside.
    protect = "\x00" not in md
    text = md
    if protect:
        text = _ESCAPED.sub(lambda m: aside(m.group(1)), text)
        text = _CODE_SPAN.sub(lambda m: aside(m.group(0)), text)
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if links and m.group(2)
                     and m.group(2) != m.group(1) else m.group(1), text)
    text = _AUTOLINK.sub(r"\1", text)
    if protect:
        text = _BARE_URL.sub(lambda m: aside(m.group(0)), text)
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or "", text)
    for index in reversed(range(len(kept))):  # last first: a code span may hold an escape
        text = text.replace(f"\x00{index}\x00", kept[index])
    if not code:
        text = text.replace("`", "")
    return text.strip()


def strip_symbols(text: str) -> str:
    """Leading emoji, bullets and numbering ("🔥 ", "2. ", "A) ") removed from a heading."""
    out = text.strip()
    while out and not (out[0].isalnum() or out[0] in "([<\"'$`/~."):
        out = out[1:].lstrip()
    return re.sub(r"^(?:\d{1,2}|[A-Ha-h])[.)]\s+(?=\S)", "", out)


def slug(text: str, limit: int = 48) -> str:
    """A lowercase id: letters and digits joined by `-`, cut at a word boundary."""
    camel = re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])", " ", text)  # etcdNoLeader
    ascii_text = unicodedata.normalize("NFKD", camel).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or (words[0][:limit] if words else "")


# A line the operator must see at run time (issue 16.2): a warning, caution, note, "do not".
WARNING_RE = re.compile(
    r"^\W*(?:\[!)?(?:warning|caution|danger|important|note|attention|careful|heads up)\b"
    r"|\b(?:do not|don't|must not|never|DO NOT)\b", re.IGNORECASE)
# A lead-in saying the block after it is an example or output, not something to run.
EXAMPLE_RE = re.compile(
    r"\bexamples?\b|\be\.g\.|\bfor instance\b|\b(?:sample|expected|example|typical)\s+output\b"
    r"|\boutput\s+(?:looks|should|will|is)\b|\byou (?:should|will) see\b|\bold incident\b"
    r"|\blooks like\b|\bsomething like\b", re.IGNORECASE)


def warning_title(text: str) -> str:
    """The warning's own word as a step title ("CAUTION: …" -> Caution), else Warning."""
    word = re.match(r"^\W*(?:\[!)?([A-Za-z]+(?: up)?)\b", text)
    if word and WARNING_RE.match(word.group(0)):
        return word.group(1).capitalize()
    return "Warning"


def one_line(text: str, limit: int = 160) -> str:
    flat = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", " ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def indent(text: str, depth: int = 1) -> str:
    return "\n".join("  " * depth + line if line else line for line in text.splitlines())


def title(text: str, limit: int = 70) -> str:
    """A short step title: a leading bold part or `Label:` prefix, else the first sentence."""
    flat = " ".join(text.split())
    bold = re.match(r"^\*\*(.+?)\*\*", flat)
    if bold:
        flat = bold.group(1)
    else:
        head = re.match(r"^([^:`()]{3,60}):\s", flat)
        if head and len(head.group(1).split()) <= 8:
            flat = head.group(1)
    flat = plain(flat, links=False).rstrip(":").strip()
    flat = re.split(r"(?<=[a-z0-9)])\. ", flat)[0].rstrip(".")
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-") + "…"
