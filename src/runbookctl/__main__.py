"""`python -m runbookctl`."""

from runbookctl.cli.app import main

main()
