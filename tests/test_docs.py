"""Data Docs and the contract catalog render in headless Chromium (Debian chromium) and show the
latest validation results and every contract."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pandas as pd

from expectations.docs import build_contract_catalog, build_data_docs
from expectations.gx_project import open_context, validate_frame
from expectations.suites import feed_suites
from ingestion.config import CONTRACTS_DIR
from ingestion.contracts import default_contracts, outbound_contracts

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium(*args: str) -> str:
    """Run headless Chromium with `args`; returns what it printed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "Debian chromium is needed (make system-deps installs it)"
    done = subprocess.run([binary, *CHROMIUM_FLAGS, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rendered_dom(page: Path) -> str:
    """The page's DOM after Chromium has loaded it and run its scripts."""
    return chromium("--virtual-time-budget=5000", "--dump-dom", page.as_uri())


def test_data_docs_show_the_latest_validation_results(tmp_path):
    context = open_context(tmp_path)
    contract = default_contracts()["samr.penalty.v1"]
    run_name = f"docs check {uuid.uuid4().hex[:8]}"
    frame = pd.DataFrame({f.name: pd.Series([], dtype="object") for f in contract.fields})
    validate_frame(context, feed_suites(contract).batch, frame, run_name=run_name, parameters={"min_rows": 1})

    dom = rendered_dom(build_data_docs(tmp_path))
    # Rows that bootstrap-table built in the browser (served locally: no CDN is reachable here).
    rows = re.findall(r'<tr[^>]*data-index="\d+"[^>]*>(.*?)</tr>', dom, re.DOTALL)
    assert any(run_name in row for row in rows), "the latest validation run is not in the results table"
    assert any(f"{contract.topic}.batch" in row for row in rows)  # and the suite it validated


def test_the_catalog_lists_every_contract_inbound_and_outbound(tmp_path):
    index = build_contract_catalog(tmp_path / "catalog", CONTRACTS_DIR)
    dom = rendered_dom(index)
    for topic in [*default_contracts(), *outbound_contracts()]:
        assert topic in dom, topic
