"""Held nights: list them, and accept one once its batch-level failure is understood.

    python -m expectations.holds list
    python -m expectations.holds accept hrss.wage_payment.v1 2026-11-22 --reason "platform outage, confirmed by 人社"

A night that fails a batch-level expectation (volume drop, null rate, reference match rate)
stays in raw with status `held`, out of staging. Nothing is lost: when the agency resends the
missing data it loads as new batches and the next validation judges the night again. When the
data is right as it is, the operator accepts the held batches: they become `accepted`, staging
reads them on the next dbt build, and the decision is recorded in raw._validations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import uuid

import duckdb

from core.config import Settings
from core.contracts import RAW_SCHEMA
from core.warehouse import one_row
from ingestion.raw_tables import BatchStatus


def held_nights(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dt.date | None, int, int, list[str]]]:
    """(topic, logical date, batches, rows, failed expectations of the latest validation) per held night."""
    return con.execute(f"""
        SELECT b.topic, b.logical_date, count(*), sum(b.loaded),
               any_value(v.failed_expectations ORDER BY v.validated_at DESC)
        FROM {RAW_SCHEMA}._batches b LEFT JOIN {RAW_SCHEMA}._validations v USING (validation_id)
        WHERE b.status = '{BatchStatus.HELD}' GROUP BY ALL ORDER BY 1, 2""").fetchall()


def accept_night(con: duckdb.DuckDBPyConnection, topic: str, logical_date: dt.date, reason: str) -> int:
    """Accept a held night's batches; returns how many rows staging will now read."""
    if not reason.strip():
        raise ValueError("accepting a held night needs a reason (it is kept in raw._validations)")
    con.execute("BEGIN TRANSACTION")
    try:
        batches, rows = one_row(
            con,
            f"SELECT count(*), coalesce(sum(loaded), 0) FROM {RAW_SCHEMA}._batches "
            f"WHERE topic = ? AND logical_date = ? AND status = '{BatchStatus.HELD}'",
            [topic, logical_date],
        )
        if not batches:
            raise LookupError(f"no held batches for {topic} on {logical_date}")
        validation_id = uuid.uuid4().hex
        con.execute(
            f"""UPDATE {RAW_SCHEMA}._batches SET status = '{BatchStatus.ACCEPTED}', validation_id = ?
                        WHERE topic = ? AND logical_date = ? AND status = '{BatchStatus.HELD}'""",
            [validation_id, topic, logical_date],
        )
        con.execute(
            f"INSERT INTO {RAW_SCHEMA}._validations VALUES (?, ?, ?, 0, 0, ?, ?, ?)",
            [
                validation_id,
                topic,
                logical_date,
                BatchStatus.ACCEPTED.value,
                [f"accepted by operator: {reason}"],
                dt.datetime.now(dt.UTC),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="held nights and why")
    accept = commands.add_parser("accept", help="accept a held night's batches")
    accept.add_argument("topic")
    accept.add_argument("date", type=dt.date.fromisoformat)
    accept.add_argument("--reason", required=True)
    args = parser.parse_args(argv)

    warehouse = Settings.from_env().warehouse
    with duckdb.connect(str(warehouse)) as con:
        if args.command == "list":
            nights = held_nights(con)
            for topic, day, batches, rows, failed in nights:
                print(f"{topic}  {day}  {batches} batches, {rows:,} rows held: {'; '.join(failed or [])}")
            print(f"{len(nights)} held night(s) in {warehouse}")
        else:
            rows = accept_night(con, args.topic, args.date, args.reason)
            print(f"accepted {args.topic} {args.date}: {rows:,} rows go to staging on the next dbt build")


if __name__ == "__main__":
    main()
