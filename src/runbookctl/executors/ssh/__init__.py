"""executors/ssh."""
