"""`python -m ingest` runs the leadpipe command line."""

from ingest.cli import main

main()
