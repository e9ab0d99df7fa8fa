"""Scan published extracts for personal identifiers and out-of-contract columns.

    python -m publication.identifier_scan data/published

Every Parquet file under the folder is checked against the outbound contract named by its file
name (<dataset id>.parquet, contracts/outbound/): a column the contract does not list is a
finding, and so is a file with no contract. Every value (numbers too, as text) is searched for
raw resident ID numbers (GB 11643: 18 characters with a valid check digit, birth date and region,
or the old 15-digit form), mainland mobile numbers and bank account numbers: any other run of
16-19 digits, the inbound contract's pattern (hrss.wage_payment.v1 bank_account). Card numbers pass
Luhn but account numbers need not (most of the feed's do not), so Luhn would miss leaks. Keyed
pseudonyms (64 hex characters) and Kafka message ids (UUIDs) are removed first: they contain digit
runs by chance. Exits 1 if anything is found.

An enterprise's unified social credit code is public and extracts carry it; most have letters,
but one of an organisation registered before 2015 can be 18 digits (914403001922038216). An
18-character run is therefore judged in this order: a valid resident ID is a resident_id (a
string can in principle pass both checks, and leaking a person's ID is the worse error); else a
valid USCC is not an identifier — valid meaning GB 32100's check character, a province code in
the region part and GB 11714's check character of the embedded organisation code, so that only
about one 18-digit account number in a thousand would pass for one; else it is a bank_account.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
from stdnum.cn import ric, uscc

from core.contracts import Contract, outbound_contracts

# Tokens that are digests or ids by construction, removed before looking for digit runs.
_SAFE_TOKENS = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-f]{64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?![0-9A-Za-z])"
)
# Maximal digit runs (an 18-character ID may end in X), not inside a longer run.
_DIGIT_RUNS = re.compile(r"(?<!\d)\d{11,19}[Xx]?(?!\d)")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# GB/T 2260 province-level codes (the first two digits of a USCC's region part).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check character


@dataclass(frozen=True)
class Finding:
    path: Path
    kind: str  # out_of_contract_column, no_contract, resident_id, mobile_phone, bank_account
    column: str | None
    detail: str

    def __str__(self) -> str:
        where = f"{self.path}" + (f" [{self.column}]" if self.column else "")
        return f"{where}: {self.kind}: {self.detail}"


def _mask(value: str) -> str:
    """A finding names where the identifier is, never the identifier itself."""
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def _old_ric_as_new(number: str) -> str:
    """A 15-digit (pre-1999) resident ID in the 18-character form: century 19 and a check digit."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def _org_code_valid(code: str) -> bool:
    """GB 11714: eight characters and a check character (0-9 or X)."""
    if len(code) != 9 or not code[:8].isalnum():
        return False
    values = [int(c, 36) for c in code[:8].upper()]
    check = 11 - sum(w * v for w, v in zip(_ORG_CODE_WEIGHTS, values, strict=True)) % 11
    return code[8].upper() == {10: "X", 11: "0"}.get(check, str(check))


def is_enterprise_code(run: str) -> bool:
    """A unified social credit code (public, not personal): GB 32100 check, province, organisation code."""
    return len(run) == 18 and uscc.is_valid(run.upper()) and run[2:4] in _PROVINCES and _org_code_valid(run[8:17])


def identifier_kind(run: str) -> str | None:
    """What a digit run is, if it is a personal identifier (resident ID wins over USCC: see above)."""
    if len(run) == 18 and ric.is_valid(run.upper()):
        return "resident_id"
    if is_enterprise_code(run):
        return None
    if len(run) == 15 and run.isdigit() and ric.is_valid(_old_ric_as_new(run)):
        return "resident_id"
    if len(run) == 11 and _MOBILE.fullmatch(run):
        return "mobile_phone"
    if 16 <= len(run) <= 19 and run.isdigit():
        return "bank_account"
    return None


def identifiers_in(text: str) -> Iterator[tuple[str, str]]:
    """(kind, identifier) for each personal identifier in a text value."""
    for match in _DIGIT_RUNS.finditer(_SAFE_TOKENS.sub(" ", text)):
        kind = identifier_kind(match.group())
        if kind:
            yield kind, match.group()


def scan_file(path: Path, contracts: dict[str, Contract]) -> list[Finding]:
    """Findings for one Parquet file (its contract is looked up by the file's name)."""
    contract = contracts.get(path.name.removesuffix(".parquet"))
    with duckdb.connect() as con:
        columns = [
            row[0]
            for row in con.execute(
                "SELECT name FROM parquet_schema(?) WHERE num_children IS NULL AND name <> 'duckdb_schema'", [str(path)]
            ).fetchall()
        ]
        findings = []
        if contract is None:
            findings.append(Finding(path, "no_contract", None, "no outbound contract for this dataset"))
        else:
            allowed = {f.name for f in contract.fields}
            findings += [
                Finding(path, "out_of_contract_column", c, f"not a field of {contract.topic}")
                for c in columns
                if c not in allowed
            ]
        for column in columns:
            values = con.execute(
                f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM read_parquet(?) WHERE "{column}" IS NOT NULL',
                [str(path)],
            ).fetchall()
            for (value,) in values:
                findings += [Finding(path, kind, column, _mask(found)) for kind, found in identifiers_in(value)]
    return findings


def parquet_files(paths: Iterable[Path]) -> list[Path]:
    """The Parquet files among the given files and under the given folders."""
    return sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*.parquet")))


def scan(paths: Iterable[Path], contracts: dict[str, Contract] | None = None) -> list[Finding]:
    """Findings for every Parquet file among the given files and under the given folders."""
    contracts = outbound_contracts() if contracts is None else contracts
    return [finding for f in parquet_files(paths) for finding in scan_file(f, contracts)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="published Parquet files or folders")
    args = parser.parse_args(argv)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(map(str, missing))}")
    files = parquet_files(args.paths)
    findings = scan(files)
    for finding in findings:
        print(finding)
    print(f"{len(files)} extract(s) scanned, {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
