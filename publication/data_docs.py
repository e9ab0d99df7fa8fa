"""Static documentation written next to the warehouse each night: GX Data Docs (every stored
validation result) and the catalog of all data contracts, inbound and outbound.

Data Docs are built incrementally: the site keeps a list of what it rendered (RENDERED, the keys of
the validation results and a digest of each expectation suite), and a night renders only the results
that are new and the suites that changed, then the index; a night with nothing new renders nothing.
A stored result never changes under its key (new runs get new keys) but for the one-time scrub of
older results, after which, as when the list is missing or a result was removed, the whole site is
rebuilt.

The contract catalog is a pure function of the files under contracts/, of datacontract-cli's version
and of its renderer (publication.contract_catalog, in process: seconds, where `datacontract catalog`
took half a minute), so it is rendered once per distinct set of contracts and kept in a cache
(CATALOG_CACHE, keyed by catalog_key) that each night copies from. A changed, added or removed
contract changes the key, so the next night renders it afresh.
Where the cache cannot be written (a read-only install such as the image), every night renders it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import CONTRACTS_DIR, PROJECT_ROOT, DataPaths
from publication.docs_assets import localise_site

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext

DATA_DOCS_SITE = "local_site"
CATALOG_FILES = "**/*.odcs.yaml"  # what `datacontract catalog` is given, relative to the contracts folder
CATALOG_CACHE = Path(os.environ.get("GIGSHIELD_CATALOG_CACHE", PROJECT_ROOT / ".cache" / "contract-catalog"))
CATALOG_RENDERER = Path(__file__).with_name("contract_catalog.py")  # its source is part of the key
KEEP_CATALOGS = 3  # catalogs the cache keeps: the most recently used
_BUILDING = ".building-"
RENDERED = ".rendered.json"  # in the Data Docs site: what it was built from (key -> digest)


def build_data_docs(data_dir: Path) -> Path:
    """Render GX Data Docs (what changed since the last build: see the module's docstring), with their
    scripts and styles served locally; returns the site's index.html.
    Results stored before validation results were kept as summaries are scrubbed first, so no page
    renders a failing value."""
    from expectations.gx_project import open_context, scrub_stored_results  # GX: a heavy import, only here

    context = open_context(data_dir)
    rescrubbed = scrub_stored_results(data_dir)
    site = DataPaths(data_dir).data_docs(DATA_DOCS_SITE)
    sources = _sources(context)
    rendered = {} if rescrubbed else _rendered(site)
    changed = [key for name, (key, digest) in sources.items() if rendered.get(name) != digest]
    if not changed and rendered.keys() == sources.keys() and (site / "index.html").is_file():
        return site / "index.html"  # nothing new since the last build
    incremental = bool(rendered) and rendered.keys() <= sources.keys()
    # GX renders a page per given key and the whole index; None: every page.
    context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=changed if incremental else None)
    localise_site(site)
    manifest = site / RENDERED
    manifest.with_suffix(".tmp").write_text(json.dumps({n: d for n, (_, d) in sources.items()}, sort_keys=True))
    manifest.with_suffix(".tmp").replace(manifest)
    return site / "index.html"


def _sources(context: AbstractDataContext) -> dict[str, tuple[Any, str]]:
    """What the site renders, by key: each validation result (a stored result never changes, so its
    digest is empty) and each expectation suite (a digest of its stored content)."""
    sources: dict[str, tuple[Any, str]] = {}
    for key in context.validation_results_store.list_keys():
        sources["validations/" + "/".join(key.to_tuple())] = (key, "")
    store = context.expectations_store
    for key in store.list_keys():
        content = json.dumps(store.get(key), sort_keys=True, default=str)
        sources["expectations/" + "/".join(key.to_tuple())] = (key, hashlib.sha256(content.encode()).hexdigest())
    return sources


def _rendered(site: Path) -> dict[str, str]:
    """The keys and digests the site was last built from; empty when unknown (a full build follows)."""
    try:
        rendered = json.loads((site / RENDERED).read_text())
    except (OSError, ValueError):
        return {}
    return rendered if isinstance(rendered, dict) else {}


def catalog_key(contracts_dir: Path = CONTRACTS_DIR) -> str:
    """What the catalog is made of: datacontract-cli's version, the renderer's source, the files it is
    given and every file under the contracts folder (path and bytes). Equal keys, equal catalogs (but for
    their render time)."""
    digest = hashlib.sha256(f"datacontract-cli {version('datacontract-cli')}\0{CATALOG_FILES}\0".encode())
    digest.update(CATALOG_RENDERER.read_bytes())
    for path in sorted(p for p in contracts_dir.rglob("*") if p.is_file()):
        content = path.read_bytes()
        digest.update(f"{path.relative_to(contracts_dir).as_posix()}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()[:32]


def build_contract_catalog(
    out_dir: Path, contracts_dir: Path = CONTRACTS_DIR, cache: Path | None = CATALOG_CACHE
) -> Path:
    """The catalog `datacontract catalog` would write of every contract under `contracts_dir`, into
    `out_dir`; returns its index.html. Copied from `cache` when these contracts were rendered before
    (None: always render)."""
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
    """Render the catalog `datacontract catalog` writes (no cache; publication.contract_catalog);
    returns its index.html."""
    from publication.contract_catalog import render_catalog  # datacontract-cli: a heavy import, only here

    return render_catalog(out_dir.resolve(), contracts_dir, CATALOG_FILES)


def _prune(cache: Path, keep: Path) -> None:
    """Keep the KEEP_CATALOGS most recently used catalogs (always `keep`); drop renders left for an hour."""
    entries = [p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".") and p != keep]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    stale = entries[KEEP_CATALOGS - 1 :]
    stale += [p for p in cache.glob(_BUILDING + "*") if p.stat().st_mtime < time.time() - 3600]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
