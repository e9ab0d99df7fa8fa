"""Static documentation written next to the warehouse each night: GX Data Docs (every stored
validation result) and the catalog of all data contracts, inbound and outbound."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.config import CONTRACTS_DIR, DataPaths
from expectations.gx_project import open_context, scrub_stored_results
from publication.docs_assets import localise_site

DATA_DOCS_SITE = "local_site"


def build_data_docs(data_dir: Path) -> Path:
    """Render GX Data Docs, with their scripts and styles served locally; returns the site's index.html.
    Results stored before validation results were kept as summaries are scrubbed first, so no page
    renders a failing value."""
    context = open_context(data_dir)
    scrub_stored_results(data_dir)
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    site = DataPaths(data_dir).data_docs(DATA_DOCS_SITE)
    localise_site(site)
    return site / "index.html"


def build_contract_catalog(out_dir: Path, contracts_dir: Path = CONTRACTS_DIR) -> Path:
    """`datacontract catalog` over every contract under contracts/; returns its index.html."""
    datacontract = Path(sys.executable).with_name("datacontract")
    subprocess.run(
        [str(datacontract), "catalog", "--files", "**/*.odcs.yaml", "--output", str(out_dir.resolve())],
        cwd=contracts_dir,
        check=True,
        capture_output=True,
        text=True,
    )
    return out_dir / "index.html"
