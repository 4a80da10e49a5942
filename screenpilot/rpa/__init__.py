"""Runs RPA task files row by row: `rows` reads a task file's data (CSV or XLSX) and picks the
rows a run does (`--rows`, `--shard`, `--resume`); `results` writes the results CSV, one line per
row, and merges the outputs of shards."""
