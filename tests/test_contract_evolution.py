"""A backward-incompatible change to a published contract fails CI unless the topic version is bumped.

Each committed contract is compared with its previous version in git (`datacontract breaking`'s
Python API). A new topic version is a new file (the id, and so the file name, carry the
version), so it has no previous version to break."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from datacontract.data_contract import DataContract

from core.config import CONTRACTS_DIR, INBOUND_CONTRACTS_DIR, PROJECT_ROOT

pytestmark = pytest.mark.unit

CONTRACT_FILES = sorted(p.relative_to(PROJECT_ROOT) for p in CONTRACTS_DIR.rglob("*.odcs.yaml"))


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout


def previous_version(path: Path) -> str | None:
    """The latest committed text of the file that differs from the one in the working tree, under the same
    contract id: a new topic version (a new id) has no previous version, even where git's rename detection
    takes it for the old version's file."""
    current = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    contract_id = yaml.safe_load(current)["id"]
    # --follow: a contract moved to another folder keeps its history (each commit names the path it had then)
    log = _git("log", "--follow", "--name-only", "--format=%H", "--", str(path)).split()
    for commit, then in zip(log[::2], log[1::2], strict=True):
        text = _git("show", f"{commit}:{then}")
        if yaml.safe_load(text)["id"] != contract_id:
            return None
        if text != current:
            return text
    return None


def breaking_changes(old_text: str, new_path: Path, tmp_path: Path) -> list[str]:
    old = tmp_path / f"previous-{new_path.name}"
    old.write_text(old_text, encoding="utf-8")
    result = DataContract(data_contract_file=str(old)).breaking(DataContract(data_contract_file=str(new_path)))
    return [f"{e.path}: {e.message}" for e in result.summary if result.is_breaking and e.level.value == "error"]


@pytest.fixture(scope="module")
def in_git() -> None:
    if shutil.which("git") is None or subprocess.run(["git", "rev-parse"], cwd=PROJECT_ROOT).returncode != 0:
        pytest.skip("not a git checkout: no previous contract versions to compare with")


@pytest.mark.parametrize("path", CONTRACT_FILES, ids=str)
def test_no_committed_contract_breaks_its_previous_version(in_git, path, tmp_path):
    previous = previous_version(path)
    if previous is None:
        return  # a new contract (or a new topic version): nothing published to break
    assert breaking_changes(previous, PROJECT_ROOT / path, tmp_path) == [], (
        f"{path} breaks its previous version: bump the topic version (new id and file) instead"
    )


def _variant(tmp_path: Path, name: str, change) -> Path:
    doc = yaml.safe_load((INBOUND_CONTRACTS_DIR / "hrss.wage_payment.v1.odcs.yaml").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    change(doc["schema"][0]["properties"])
    path = tmp_path / f"{name}.odcs.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_check_catches_breaking_changes_and_lets_compatible_ones_through(tmp_path):
    current = (INBOUND_CONTRACTS_DIR / "hrss.wage_payment.v1.odcs.yaml").read_text(encoding="utf-8")

    def drop_field(props):
        props[:] = [p for p in props if p["name"] != "paid_date"]

    def retype_field(props):
        next(p for p in props if p["name"] == "snapshot_date").update(logicalType="string", physicalType="VARCHAR")

    def add_optional_field(props):
        props.append(
            {
                "name": "remark",
                "logicalType": "string",
                "physicalType": "VARCHAR",
                "required": False,
                "description": "Free-text remark.",
            }
        )

    assert any("paid_date" in c for c in breaking_changes(current, _variant(tmp_path, "drop", drop_field), tmp_path))
    assert any(
        "snapshot_date" in c for c in breaking_changes(current, _variant(tmp_path, "retype", retype_field), tmp_path)
    )
    assert breaking_changes(current, _variant(tmp_path, "add", add_optional_field), tmp_path) == []
