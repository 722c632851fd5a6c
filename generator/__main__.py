"""``python -m generator`` runs the CLI."""

from generator.cli import main

main()
