"""The typer commands, one module per group; their bodies live in cli/commands/."""
