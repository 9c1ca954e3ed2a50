"""The application layer: one module per use case, called by every face (CLI, API, web UI, interop, batch)."""
