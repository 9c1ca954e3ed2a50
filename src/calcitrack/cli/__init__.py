"""Command-line face of calcitrack (Typer + Rich)."""
