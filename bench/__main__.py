"""Run every benchmark in this folder: ``python -m bench`` (or ``make bench``).

Each benchmark is a module ``bench/<name>.py`` runnable on its own (``python -m bench.<name>``) that prints
its figures and the ratio to a baseline measured in the same run.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    folder = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if not m.name.startswith("_"))
    failures = 0
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        failures += (
            subprocess.run([sys.executable, "-m", f"bench.{name}", *sys.argv[1:]], check=False).returncode
            != 0
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
