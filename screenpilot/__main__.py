"""`python -m screenpilot` runs the command line."""

from screenpilot.cli import main

main()
