"""dbx_emulator: a local, stateful Databricks workspace emulator for libdbx tests.

Standard library only. See docs/emulator.md. Entry point: ``python3 -m dbx_emulator``.
"""

__version__ = "0.1.0"
