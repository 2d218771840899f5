"""One module per group of metrics; each has `run(ctx) -> list[Row]`."""
