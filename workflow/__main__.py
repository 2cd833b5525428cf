"""`python -m workflow` runs the command line, as `comite` does."""

from command_line.main import main

main()
