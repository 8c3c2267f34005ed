"""wheelnext-pip activation for interpreters whose site-packages cannot hold a ``.pth``.

Put the folder holding this file on ``PYTHONPATH``. It arms the same bootstrap as
``wheelnext_pip.pth``, then runs the ``sitecustomize`` that it shadows, if there is one.
"""

import os
import sys


def _arm() -> None:
    if os.environ.get("WHEELNEXT_PIP", "").strip().lower() in ("", "0", "off", "false"):
        return
    try:
        import wheelnext_pip._bootstrap as bootstrap_module
    except ImportError:
        # Installed with --target: the package sits two folders above this file.
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        if package_root not in sys.path:
            sys.path.append(package_root)
        try:
            import wheelnext_pip._bootstrap as bootstrap_module
        except ImportError:
            return
    bootstrap_module.bootstrap()


def _chain() -> None:
    """Execute the next ``sitecustomize`` on ``sys.path``: only one is ever imported."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if os.path.abspath(entry or os.curdir) == here:
            continue
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", [entry])
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return


try:  # noqa: SIM105 - contextlib would be one more import at every start
    _arm()
except Exception:
    pass
# Errors of the chained sitecustomize surface exactly as they would without us.
_chain()
