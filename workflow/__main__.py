"""`python -m workflow` runs the command line, as `comite` does."""

from workflow.cli import main

main()
