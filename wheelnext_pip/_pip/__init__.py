"""The patch layer: the only code that touches pip's internals.

One module per pip subsystem; each declares its hook points as registry entries.
No module here imports pip at import time: activation happens while ``pip`` itself is
being imported, so pip modules are reached through the modules a hook receives or, once
pip's CLI is fully imported, through ``importlib``.
"""
