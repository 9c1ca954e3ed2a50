"""calcitrack test suite.

A regular package on purpose: textstat installs a stray top-level `tests` package, which would otherwise
shadow this one for `python -m tests.reliability` and `from tests... import`.
"""
