"""python -m devstack.synthetic --date 2026-11-22 --days 30 --workers 2000: publish a window of feeds."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from devstack.synthetic.publish import publish_window
from devstack.synthetic.violations import Rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", type=dt.date.fromisoformat, required=True, help="last data day of the window")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bootstrap", default=os.environ.get("GIGSHIELD_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    parser.add_argument("--manifest", type=Path)
    parser.add_argument("--mode", choices=("auto", "bulk", "event"), default="auto")
    parser.add_argument("--records-per-message", type=int, default=1000)
    parser.add_argument("--violation-rate", type=float, default=Rates.violation)
    parser.add_argument("--malformed-rate", type=float, default=Rates.malformed)
    args = parser.parse_args()
    manifest = publish_window(
        args.date,
        args.days,
        args.workers,
        args.seed,
        args.bootstrap,
        args.manifest,
        args.mode,
        args.records_per_message,
        Rates(args.violation_rate, args.malformed_rate),
    )
    for topic in sorted(manifest.messages):
        print(f"{topic:<32} {manifest.messages[topic]:>8,} messages {manifest.records[topic]:>10,} records")
    print(f"violations injected: {len(manifest.violations):,}; malformed messages: {len(manifest.malformed):,}")


if __name__ == "__main__":
    main()
