"""Each fact defined once (issue 12): the agencies' time zone, the seeds' column types, the rules' thresholds,
the finding kinds (seed ref_finding_kinds) and the batch statuses (ingestion.raw_tables.BatchStatus)."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from core.config import PROJECT_ROOT
from ingestion.raw_tables import STAGED_BATCH_STATUSES, BatchStatus, ensure_raw_tables, sql_strings
from transform import sources_yaml

pytestmark = pytest.mark.unit

ZONE = "Asia/" + "Shanghai"  # spelled in two halves so this file is not a hit of its own search
SEEDS_DIR = PROJECT_ROOT / "dbt_project" / "seeds"
MODELS_DIR = PROJECT_ROOT / "dbt_project" / "models"
MACROS_DIR = PROJECT_ROOT / "dbt_project" / "macros"
# The one Python constant, the one SQL macro, and configuration files (which cannot import either).
ALLOWED = {
    "core/config.py": 1,
    "dbt_project/macros/beijing_date.sql": 1,
    "dbt_project/profiles.yml": 1,
    "docker-compose.yml": 1,
}
# Prose (README) and tests (which assert the zone independently of the code under test) may name it.
NOT_SEARCHED = ("README.md", "tests/")


def project_files() -> list[str]:
    """Tracked and untracked files, without what git ignores (the venv, dbt's target, data)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [f for f in out.splitlines() if (PROJECT_ROOT / f).is_file()]


def test_the_time_zone_is_named_in_one_constant_one_macro_and_configuration_only():
    hits: dict[str, int] = {}
    for name in project_files():
        if name.startswith(NOT_SEARCHED):
            continue
        try:
            text = (PROJECT_ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if ZONE in text:
            hits[name] = text.count(ZONE)
    assert hits == ALLOWED


def test_sql_converts_to_beijing_time_only_in_the_macro():
    sql = [p for d in (MODELS_DIR, MACROS_DIR) for p in d.rglob("*.sql")]
    converting = {
        p.relative_to(PROJECT_ROOT).as_posix()
        for p in sql
        if re.search(r"\btimezone\s*\(|\+0?8(:00)?'|interval\s*'?8\s*hours?", p.read_text(), re.I)
    }
    assert converting == {"dbt_project/macros/beijing_date.sql"}


def seed_configs() -> dict[str, dict]:
    document = yaml.safe_load((SEEDS_DIR / "_seeds.yml").read_text(encoding="utf-8"))
    return {seed["name"]: seed.get("config", {}) for seed in document["seeds"]}


def test_every_seed_declares_the_type_of_every_column_of_its_csv():
    configs = seed_configs()
    for path in sorted(SEEDS_DIR.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f))
        declared = configs.get(path.stem, {}).get("column_types", {})
        assert sorted(declared) == sorted(header), path.name


def test_region_codes_load_as_text():
    for name, config in seed_configs().items():
        if "region_code" in config.get("column_types", {}):
            assert config["column_types"]["region_code"] == "varchar", name


def sql_without_comments(path: Path) -> str:
    text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"--[^\n]*", "", text)


def test_no_threshold_is_a_literal_in_the_models():
    """A comparison with a number other than 0 or 1 (nothing / any, a first row) is a rule's threshold:
    it belongs in ref_policy_parameters, read by the macro policy_parameter."""
    comparison = re.compile(r"(?:>=|<=|<>|!=|>|<|=)\s*\(?\s*(\d+(?:\.\d+)?)\b")
    literals = {
        (p.relative_to(PROJECT_ROOT).as_posix(), m.group(0))
        for p in MODELS_DIR.rglob("*.sql")
        for m in comparison.finditer(sql_without_comments(p))
        if float(m.group(1)) not in (0, 1)
    }
    assert literals == set()


FINDING_KINDS_SEED = SEEDS_DIR / "ref_finding_kinds.csv"
SQL_DIRS = (MODELS_DIR, MACROS_DIR, PROJECT_ROOT / "dbt_project" / "tests", PROJECT_ROOT / "analyst_queries")
# How a model names a finding kind: the macro finding_kind('…') or finding_kinds(['…', …]).
KIND_MACRO = re.compile(r"\{\{-?\s*finding_kinds?\(\s*(\[[^\]]*\]|'[^']*')\s*\)\s*-?\}\}")
QUOTED = re.compile(r"'([^']*)'")
# Values spelled like a finding kind that name something else, where they do.
HOMONYMS = {
    "dbt_project/models/marts/fct_inspectorate_alerts.sql": {"wage_arrears", "unsatisfied_judgment"},  # case_kind
    "dbt_project/models/intermediate/hrss/int_hrss__blacklist_criteria.sql": {"mass_incident"},  # listing_criterion
    "dbt_project/models/intermediate/hrss/int_hrss__complaint_lead_steps.sql": {"wage_arrears"},  # complaint_category
    "reports/inspector_page.py": {"mass_incident"},  # the page's label of that listing criterion
}
PRODUCTION = ("core/", "ingestion/", "expectations/", "transform/", "publication/", "alerts/", "reports/")
PRODUCTION += ("orchestration/", "dags/")


def finding_kinds() -> set[str]:
    """The kinds of the seed ref_finding_kinds, the one list of them."""
    with FINDING_KINDS_SEED.open(encoding="utf-8", newline="") as f:
        return {row["finding_kind"] for row in csv.DictReader(f)}


def like(pattern: str) -> re.Pattern[str]:
    """A SQL LIKE pattern as a regular expression (% any run, _ any one character)."""
    return re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern))


def test_models_name_finding_kinds_only_through_the_macro_and_only_kinds_of_the_seed():
    kinds = finding_kinds()
    unknown, bare = set(), {}
    for path in sorted(p for d in SQL_DIRS for p in d.rglob("*.sql")):
        name = path.relative_to(PROJECT_ROOT).as_posix()
        sql = sql_without_comments(path)
        for call in KIND_MACRO.finditer(sql):
            for named in QUOTED.findall(call.group(1)):
                if named not in kinds and ("%" not in named or not any(like(named).fullmatch(k) for k in kinds)):
                    unknown.add((name, named))
        spelled = {q for q in QUOTED.findall(KIND_MACRO.sub("", sql)) if q in kinds} - HOMONYMS.get(name, set())
        if spelled:
            bare[name] = spelled
    assert unknown == set()  # a kind (or LIKE pattern) that is not (or matches nothing) in ref_finding_kinds
    assert bare == {}  # a kind spelled as a bare literal: name it with {{ finding_kind('…') }}
    assert {"fct_enterprise_credit.sql", "int_credit__findings.sql", "share_hrss__labour_findings.sql"} <= {
        p.name for d in SQL_DIRS for p in d.rglob("*.sql") if KIND_MACRO.search(p.read_text(encoding="utf-8"))
    }  # the search looks where the kinds are


def test_no_production_code_spells_a_finding_kind():
    """Finding kinds are the seed's and the models': the Python that ships names none (tests read the seed)."""
    kinds = finding_kinds()
    quoted = re.compile(r"""(['"])(\w+)\1""")
    hits = {
        name: found
        for name in project_files()
        if name.startswith(PRODUCTION) and name.endswith(".py")
        if (
            found := {m.group(2) for m in quoted.finditer((PROJECT_ROOT / name).read_text(encoding="utf-8"))}
            & kinds - HOMONYMS.get(name, set())
        )
    }
    assert hits == {}


# raw._batches.status: ingestion.raw_tables.BatchStatus, and the dbt macro generated from it.
STATUS_DEFINITIONS = ("ingestion/raw_tables.py", "dbt_project/macros/staged_batch_statuses.sql")
# Not converted yet (owned elsewhere: use ingestion.raw_tables.BatchStatus): file -> literals.
STATUS_LITERALS_TO_CONVERT: dict[str, int] = {}


def test_batch_statuses_are_spelled_only_in_their_definition():
    """`released` and `held` name batch statuses only; `pending` and `accepted` also name other things (an
    alert delivery, a complaint's handling step), so they count where raw._batches is read or written."""
    quoted = re.compile(r"""(['"])(""" + "|".join(BatchStatus) + r")\1")
    ambiguous = {BatchStatus.PENDING, BatchStatus.ACCEPTED}
    hits: dict[str, int] = {}
    for name in project_files():
        if name.startswith(NOT_SEARCHED) or name in STATUS_DEFINITIONS:
            continue
        try:
            text = (PROJECT_ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        about_batches = "_batches" in text or "BatchStatus" in text
        found = [m.group(2) for m in quoted.finditer(text) if about_batches or m.group(2) not in ambiguous]
        if found:
            hits[name] = len(found)
    assert hits == STATUS_LITERALS_TO_CONVERT


def test_the_sql_side_reads_the_batch_statuses_of_the_enum():
    assert sources_yaml.main(["--check"]) == 0  # _sources.yml and the macro staged_batch_statuses
    assert sources_yaml.render_statuses_macro() == (MACROS_DIR / "staged_batch_statuses.sql").read_text("utf-8")
    assert f"    {sql_strings(STAGED_BATCH_STATUSES)}\n" in sources_yaml.render_statuses_macro()
    assert "status in {{ staged_batch_statuses() }}" in (MACROS_DIR / "released_rows.sql").read_text("utf-8")
    sources = yaml.safe_load(sources_yaml.SOURCES_FILE.read_text(encoding="utf-8"))["sources"][0]
    batches = next(t for t in sources["tables"] if t["name"] == "_batches")
    status = next(c for c in batches["columns"] if c["name"] == "status")
    assert status["data_tests"] == [{"accepted_values": {"arguments": {"values": [s.value for s in BatchStatus]}}}]
    with duckdb.connect() as con:  # the table takes exactly the enum's statuses, pending by default
        ensure_raw_tables(con, [])
        insert = "INSERT INTO raw._batches (batch_id, topic, cluster_id, messages, redelivered_messages, records, "
        insert += "loaded, quarantined, committed_at{}) VALUES (?, 't', 'c', 0, 0, 0, 0, 0, now(){})"
        con.execute(insert.format("", ""), ["default"])
        for status in BatchStatus:
            con.execute(insert.format(", status", ", ?"), [status.value, status.value])
        with pytest.raises(duckdb.ConstraintException):
            con.execute(insert.format(", status", ", ?"), ["other", "other"])
        assert con.execute("SELECT status FROM raw._batches WHERE batch_id = 'default'").fetchall() == [
            (BatchStatus.PENDING.value,)
        ]
