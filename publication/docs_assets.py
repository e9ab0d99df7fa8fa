"""The scripts and styles GX Data Docs load from CDNs, served from next to the docs instead.

GX's pages build their tables with jQuery and bootstrap-table fetched from public CDNs; on a
machine that cannot reach them (an agency network, CI) the pages show no results at all. The
same files are published on npm, which is reachable wherever the Python packages are:

    python -m publication.docs_assets fetch     (make env runs it; cached, verified, idempotent)

downloads each pinned package once, checks the tarball against the registry's sha512 integrity,
and keeps the files the pages use. After each Data Docs build, `localise_site` copies them into
the site and points every page at its local copy.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from core.config import PROJECT_ROOT

REGISTRY = os.environ.get("GIGSHIELD_NPM_REGISTRY", "https://registry.npmjs.org")
CACHE = Path(os.environ.get("GIGSHIELD_DOCS_ASSETS", PROJECT_ROOT / ".cache" / "docs-assets"))
VENDOR = "vendor"  # folder inside the Data Docs site


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    files: tuple[str, ...]  # paths inside the package (folders end with /)

    @property
    def folder(self) -> str:
        return f"{self.name.replace('/', '__')}@{self.version}"


PACKAGES = (
    Package("jquery", "3.7.1", ("dist/jquery.min.js",)),
    Package("popper.js", "1.12.9", ("dist/umd/popper.min.js",)),
    Package("bootstrap", "4.3.1", ("dist/js/bootstrap.min.js", "dist/css/bootstrap.min.css")),
    Package(
        "bootstrap-table",
        "1.19.1",
        (
            "dist/bootstrap-table.min.js",
            "dist/bootstrap-table.min.css",
            "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
        ),
    ),
    Package(
        "bootstrap-table",
        "1.19.0",
        (
            "dist/extensions/filter-control/bootstrap-table-filter-control.css",
            "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
        ),
    ),
    Package(
        "bootstrap-datepicker",
        "1.9.0",
        ("dist/js/bootstrap-datepicker.min.js", "dist/css/bootstrap-datepicker.min.css"),
    ),
    Package("@fortawesome/fontawesome-free", "6.6.0", ("css/all.min.css", "webfonts/")),
    Package("@forevolve/bootstrap-dark", "1.1.0", ("dist/css/bootstrap-prefers-dark.css",)),
    Package("vega", "5.30.0", ("build/vega.min.js",)),
    Package("vega-lite", "5.21.0", ("build/vega-lite.min.js",)),
    Package("vega-embed", "6.26.0", ("build/vega-embed.min.js",)),
)
_BY_NAME = {(p.name, p.version): p for p in PACKAGES}

# The CDN address in GX's templates -> (package, version, file).
CDN_FILES: dict[str, tuple[str, str, str]] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery", "3.7.1", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js",
        "1.12.9",
        "dist/umd/popper.min.js",
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap",
        "4.3.1",
        "dist/js/bootstrap.min.js",
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap",
        "4.3.1",
        "dist/css/bootstrap.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table",
        "1.19.1",
        "dist/bootstrap-table.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table",
        "1.19.1",
        "dist/bootstrap-table.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table",
        "1.19.1",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table",
        "1.19.0",
        "dist/extensions/filter-control/bootstrap-table-filter-control.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table",
        "1.19.0",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker",
        "1.9.0",
        "dist/js/bootstrap-datepicker.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker",
        "1.9.0",
        "dist/css/bootstrap-datepicker.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "@fortawesome/fontawesome-free",
        "6.6.0",
        "css/all.min.css",
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "@forevolve/bootstrap-dark",
        "1.1.0",
        "dist/css/bootstrap-prefers-dark.css",
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": ("vega", "5.30.0", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": ("vega-lite", "5.21.0", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": ("vega-embed", "6.26.0", "build/vega-embed.min.js"),
}
_CDN_URL = re.compile("|".join(re.escape(u) for u in sorted(CDN_FILES, key=len, reverse=True)))


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # fixed https registry URLs
        return response.read()


def _fetch(package: Package, cache: Path) -> None:
    target = cache / package.folder
    if (target / ".complete").exists():
        return
    meta = json.loads(_get(f"{REGISTRY}/{package.name}/{package.version}"))
    tarball = _get(meta["dist"]["tarball"])
    algorithm, expected = meta["dist"]["integrity"].split("-", 1)
    if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != expected:
        raise ValueError(f"{package.name}@{package.version}: tarball does not match the registry's integrity")
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member in archive.getmembers():
            inner = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if member.isfile() and any(inner == f or (f.endswith("/") and inner.startswith(f)) for f in package.files):
                out = target / inner
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive.extractfile(member).read())  # type: ignore[union-attr]
    (target / ".complete").touch()


def fetch_all(cache: Path = CACHE) -> Path:
    for package in PACKAGES:
        _fetch(package, cache)
    return cache


def localise_site(site: Path, cache: Path = CACHE) -> int:
    """Copy the cached assets into the site and point its pages at them; returns pages rewritten."""
    missing = [p.folder for p in PACKAGES if not (cache / p.folder / ".complete").exists()]
    if missing:
        raise FileNotFoundError(
            f"Data Docs assets not fetched ({', '.join(missing)}): "
            "run `python -m publication.docs_assets fetch` (make env does)"
        )
    vendor = site / "static" / VENDOR
    shutil.rmtree(vendor, ignore_errors=True)
    shutil.copytree(cache, vendor, ignore=shutil.ignore_patterns(".complete"))
    rewritten = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        prefix = os.path.relpath(vendor, page.parent)

        def local(match: re.Match[str], prefix: str = prefix) -> str:  # this page's prefix, bound now (B023)
            name, version, file = CDN_FILES[match.group(0)]
            return f"{prefix}/{_BY_NAME[name, version].folder}/{file}"

        new = _CDN_URL.sub(local, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            rewritten += 1
    return rewritten


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fetch"])
    parser.parse_args(argv)
    print(f"Data Docs assets in {fetch_all()}")


if __name__ == "__main__":
    main()
