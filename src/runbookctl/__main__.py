"""`python -m runbookctl`."""

from runbookctl.cli.app import entry

entry()
