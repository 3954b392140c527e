"""One module per command group: what each `runbookctl` subcommand does.

`run` (run and weekly's shared driver: set up, walk, always leave a report),
`weekly` (carry-over of last week's loose ends), `resume` (continue a stopped
run), `stale` (which unfinished run a bare resume takes; `discard`), `history`
(`runs`, `report`), `stats`, `verify`, `validate`, `catalog` (`list`, `show`,
`schema`) and `authoring` (`new`, `import`).

Part of runbookctl.cli: may import every package below it. The typer commands
(cli/groups/) import these modules lazily, inside each command.
"""
