"""The policy modules stay cheap to import inside pip: no pip, no wrapt, no pynvml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# json, packaging and TOML parsing are imported when first needed, not at import time.
FORBIDDEN = ("pip", "wrapt", "pynvml", "json", "packaging.requirements", "tomllib", "tomli")
MODULES = [
    "filenames",
    "properties",
    "metadata",
    "ordering",
    "providers",
    "detect",
    "_detection_cache",
    "plugins",
    "judgment",
]


def test_no_heavy_or_pip_imports() -> None:
    code = (
        "import sys\n"
        + "".join(f"import wheelnext_pip.variants.{name}\n" for name in MODULES)
        + "import wheelnext_pip.build_isolation\n"
        + f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\n{code}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""
