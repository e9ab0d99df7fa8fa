"""Static documentation written next to the warehouse each night: GX Data Docs (every stored
validation result) and the catalog of all data contracts, inbound and outbound.

The contract catalog is a pure function of the files under contracts/ and of datacontract-cli's
version, and rendering it takes datacontract-cli half a minute, so it is rendered once per distinct
set of contracts and kept in a cache (CATALOG_CACHE, keyed by catalog_key) that each night copies
from. A changed, added or removed contract changes the key, so the next night renders it afresh.
Where the cache cannot be written (a read-only install such as the image), every night renders it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from core.config import CONTRACTS_DIR, PROJECT_ROOT, DataPaths
from publication.docs_assets import localise_site

DATA_DOCS_SITE = "local_site"
CATALOG_FILES = "**/*.odcs.yaml"  # what `datacontract catalog` is given, relative to the contracts folder
CATALOG_CACHE = Path(os.environ.get("GIGSHIELD_CATALOG_CACHE", PROJECT_ROOT / ".cache" / "contract-catalog"))
KEEP_CATALOGS = 3  # catalogs the cache keeps: the most recently used
_BUILDING = ".building-"


def build_data_docs(data_dir: Path) -> Path:
    """Render GX Data Docs, with their scripts and styles served locally; returns the site's index.html.
    Results stored before validation results were kept as summaries are scrubbed first, so no page
    renders a failing value."""
    from expectations.gx_project import open_context, scrub_stored_results  # GX: a heavy import, only here

    context = open_context(data_dir)
    scrub_stored_results(data_dir)
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    site = DataPaths(data_dir).data_docs(DATA_DOCS_SITE)
    localise_site(site)
    return site / "index.html"


def catalog_key(contracts_dir: Path = CONTRACTS_DIR) -> str:
    """What the catalog is made of: datacontract-cli's version, the files it is given and every file
    under the contracts folder (path and bytes). Equal keys, equal catalogs (but for their render time)."""
    digest = hashlib.sha256(f"datacontract-cli {version('datacontract-cli')}\0{CATALOG_FILES}\0".encode())
    for path in sorted(p for p in contracts_dir.rglob("*") if p.is_file()):
        content = path.read_bytes()
        digest.update(f"{path.relative_to(contracts_dir).as_posix()}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()[:32]


def build_contract_catalog(
    out_dir: Path, contracts_dir: Path = CONTRACTS_DIR, cache: Path | None = CATALOG_CACHE
) -> Path:
    """`datacontract catalog` over every contract under `contracts_dir` into `out_dir`; returns its
    index.html. Copied from `cache` when these contracts were rendered before (None: always render)."""
    if cache is None:
        return render_contract_catalog(out_dir, contracts_dir)
    cached = cache / catalog_key(contracts_dir)
    if not (cached / "index.html").is_file():
        try:
            cache.mkdir(parents=True, exist_ok=True)
            lock = os.open(cache / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:  # nowhere to keep it: render in place, as without a cache
            return render_contract_catalog(out_dir, contracts_dir)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one render at a time: a second process waits for the first's
            if not (cached / "index.html").is_file():
                _store_catalog(cached, contracts_dir)
        finally:
            os.close(lock)
    shutil.copytree(cached, out_dir, dirs_exist_ok=True)
    os.utime(cached)  # most recently used
    return out_dir / "index.html"


def _store_catalog(cached: Path, contracts_dir: Path) -> None:
    """Render into a scratch folder beside `cached`, then rename it: the cache never holds half a catalog."""
    building = Path(tempfile.mkdtemp(prefix=_BUILDING, dir=cached.parent))
    try:
        building.chmod(0o755)  # as `datacontract catalog` makes its output folder (mkdtemp's is 0700)
        render_contract_catalog(building, contracts_dir)
        building.rename(cached)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    _prune(cached.parent, keep=cached)


def render_contract_catalog(out_dir: Path, contracts_dir: Path = CONTRACTS_DIR) -> Path:
    """Run `datacontract catalog` (no cache); returns its index.html."""
    datacontract = Path(sys.executable).with_name("datacontract")
    subprocess.run(
        [str(datacontract), "catalog", "--files", CATALOG_FILES, "--output", str(out_dir.resolve())],
        cwd=contracts_dir,
        check=True,
        capture_output=True,
        text=True,
    )
    return out_dir / "index.html"


def _prune(cache: Path, keep: Path) -> None:
    """Keep the KEEP_CATALOGS most recently used catalogs (always `keep`); drop renders left for an hour."""
    entries = [p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".") and p != keep]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    stale = entries[KEEP_CATALOGS - 1 :]
    stale += [p for p in cache.glob(_BUILDING + "*") if p.stat().st_mtime < time.time() - 3600]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
