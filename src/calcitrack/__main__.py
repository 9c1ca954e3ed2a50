"""``python -m calcitrack`` runs the command line."""

from calcitrack.cli.app import main

main()
