"""importers/markdown.py: inline Markdown as the text an operator reads in a message
or a title — emphasis and escapes dropped as Markdown renders them, links kept with
their address."""

from __future__ import annotations

import textwrap

import pytest

from runbookctl.importers.markdown import plain
from runbookctl.importers.playbook import import_markdown


@pytest.mark.parametrize(("md", "text"), [
    ("look for **errors** and __warnings__", "look for errors and warnings"),
    ("look for **errors in\nthe last hour**:", "look for errors in\nthe last hour:"),
    ("*this* and *that\nthere*", "this and that\nthere"),
    ("compute 2 ** 3 and a ** b", "compute 2 ** 3 and a ** b"),
    ("** not emphasis **", "** not emphasis **"),
    (r"a \*literal\* star", "a *literal* star"),
    ("see [the docs](https://x.example/a) or <https://y.example>",
     "see the docs (https://x.example/a) or https://y.example"),
    # never markup: code spans, URLs, an escaped character, words joined by __
    ("with `rm -rf /var/log/app/**/*.gz`\nand `rm -rf /var/cache/app/**`.",
     "with `rm -rf /var/log/app/**/*.gz`\nand `rm -rf /var/cache/app/**`."),
    ("see https://x.example/a__b__c and\nhttps://y.example/**/x",
     "see https://x.example/a__b__c and\nhttps://y.example/**/x"),
    ("edit /srv/__cache\nand /srv/__tmp, snake__case", "edit /srv/__cache\nand /srv/__tmp, snake__case"),
    ("[`kubectl`](https://k.io) and `a \\* b`", "`kubectl` (https://k.io) and `a * b`"),
    ("\U000F0001 Deploy \U000F002A done", "\U000F0001 Deploy \U000F002A done"),  # icon fonts
])
def test_inline_markdown_reads_as_it_renders(md: str, text: str) -> None:
    assert plain(md) == text


def test_links_can_keep_only_their_text_and_code_its_backticks_dropped() -> None:
    assert plain("[runbook](https://x.example) `kubectl`", links=False, code=False) == \
        "runbook kubectl"


def test_bold_over_two_lines_of_a_paragraph_leaves_no_asterisks_in_the_message() -> None:
    md = textwrap.dedent("""\
        # Cache outage

        ## Check the cache

        Run this and look for **errors in
        the last hour**:

        ```
        redis-cli info stats
        ```
        """)
    (book,) = import_markdown(md, "playbook.md", "", split=False)
    messages = [s.text for s in book.steps if s.action == "message"]
    assert "Run this and look for errors in\nthe last hour:" in messages, messages
