"""Run benchmarks by name: ``python bench/run.py all|provision|schedule|...``.

Each benchmark is a script ``bench/<name>.py`` whose last output line is
one JSON object; this runner only chooses and runs them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["schedule", "rules", "provision", "cob", "api"]


def available() -> list[str]:
    return [name for name in ORDER if (HERE / f"{name}.py").exists()]


def main(argv: list[str]) -> int:
    wanted = argv[0] if argv else "all"
    names = available() if wanted == "all" else [wanted]
    failures = 0
    for name in names:
        script = HERE / f"{name}.py"
        if not script.exists():
            sys.stderr.write(f"no benchmark '{name}'; have: {', '.join(available())}\n")
            return 2
        sys.stdout.write(f"== bench {name}\n")
        sys.stdout.flush()
        failures += subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
