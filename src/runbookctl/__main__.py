"""`python -m runbookctl`."""

from runbookctl.cli import main

main()
