"""Files generated from a single source (the contracts, the official calendar): written, or checked
for drift, the same way by every generator in transform/."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path


def write_or_check(rendered: Mapping[Path, str], check: bool, command: str) -> int:
    """With `check`, report every file whose text differs from `rendered` (exit status 1: stale,
    regenerate with `command`), else write them all; returns the exit status."""
    if check:
        stale = [p for p, text in rendered.items() if (p.read_text(encoding="utf-8") if p.exists() else "") != text]
        for path in stale:
            print(f"{path} is stale: run {command}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in rendered.items():
        path.write_text(text, encoding="utf-8")
    return 0
