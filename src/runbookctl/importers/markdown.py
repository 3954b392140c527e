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

    lines = text.splitlines()
    tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(text))
    root = Section(title, 0, 1)
    stack = [root]
    for node in tree.children:
        if node.type == "heading":
            level = int(node.tag[1])
            while stack[-1].level >= level:
                stack.pop()
            section = Section(inline_text(node), level, _line(node), parent=stack[-1])
            stack[-1].children.append(section)
            stack.append(section)
        else:
            stack[-1].blocks += _blocks(node, lines)
    return root


def _line(node: SyntaxTreeNode) -> int:
    return node.map[0] + 1 if node.map else 0


def inline_text(node: SyntaxTreeNode) -> str:
    """The inline Markdown source of a paragraph or heading."""
    return "".join(c.content for c in node.children if c.type == "inline").strip()


def _blocks(node: SyntaxTreeNode, lines: list[str]) -> list[Block]:
    kind = node.type
    if kind in ("paragraph", "heading"):
        return [Block("para", inline_text(node), line=_line(node))]
    if kind in ("fence", "code_block"):
        lang = (node.info or "").strip().split(" ")[0].strip("{}.").lower() if kind == "fence" else ""
        return [Block("code", node.content, lang=lang, line=_line(node))]
    if kind in ("bullet_list", "ordered_list"):
        items = tuple(_item(child, lines) for child in node.children)
        return [Block("list", ordered=kind == "ordered_list", items=items, line=_line(node))]
    if kind == "table" and node.map:
        return [Block("table", "\n".join(lines[node.map[0]: node.map[1]]), line=_line(node))]
    if kind == "blockquote":
        return [b for child in node.children for b in _blocks(child, lines)]
    return []  # html, rules


def _item(node: SyntaxTreeNode, lines: list[str]) -> Item:
    children = list(node.children)
    text = ""
    if children and children[0].type == "paragraph":
        text = inline_text(children.pop(0))
    found = _CHECKBOX.match(text)
    if found:
        text = text[found.end():]
    blocks = tuple(b for child in children for b in _blocks(child, lines))
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
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)([^*]+?)\*(?!\w)")


def plain(md: str, *, links: bool = True, code: bool = True) -> str:
    """Inline Markdown as text: emphasis dropped, links as `text (url)`.

    `links=False` keeps only a link's text; `code=False` drops backticks.
    """
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if links and m.group(2)
                     and m.group(2) != m.group(1) else m.group(1), md)
    text = _AUTOLINK.sub(r"\1", text)
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>])", r"\1", text)  # Markdown escapes
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
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
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
