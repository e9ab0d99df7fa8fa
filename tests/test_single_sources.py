"""Each fact defined once (issue 12): the agencies' time zone, the seeds' column types, the rules' thresholds."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from core.config import PROJECT_ROOT

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
