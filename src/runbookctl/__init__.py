"""runbookctl: executable runbooks with a journal and a Markdown report."""

__version__ = "0.2.0"
