"""The contract catalog, rendered in process: what `datacontract catalog` writes (a page per contract
and an index), without the work that command repeats for every contract.

Per contract, `datacontract catalog` resolves the contract twice (once to export its page, once for
the index) and each resolve checks the bundled ODCS JSON Schema against its metaschema again
(jsonschema's check_schema: most of a resolve); its HTML exporter then builds a new Jinja
environment, which compiles every template and partial again. Here each contract is resolved once
(DataContract's public API: its page is exported from the resolved contract), a schema that passed
check_schema is not checked again during the render, and one Jinja environment serves every page.
The pages and index are those of `datacontract catalog` but for their render times
(tests/test_docs.py compares a page with datacontract-cli's own export).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja_partials
from datacontract.catalog.catalog import DataContractView, create_index_html
from datacontract.config import cli_config
from datacontract.data_contract import DataContract
from datacontract.export.html_exporter import _formatted_date, get_version
from datacontract.export.mermaid_exporter import to_mermaid
from datacontract.model.exceptions import DataContractException
from jinja2 import Environment, PackageLoader, Template, select_autoescape
from jsonschema import validators
from open_data_contract_standard.model import OpenDataContractStandard

log = logging.getLogger(__name__)
_VALIDATORS = (
    validators.Draft4Validator,
    validators.Draft6Validator,
    validators.Draft7Validator,
    validators.Draft201909Validator,
    validators.Draft202012Validator,
)


def render_catalog(out_dir: Path, contracts_dir: Path, files: str) -> Path:
    """The catalog of the contracts matching `files` (a glob under `contracts_dir`) into `out_dir`;
    returns its index.html. A contract datacontract-cli cannot read is skipped and logged, as by the
    command (which skips on any error; another error here is raised)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page = _page_renderer()
    views = []
    with _schemas_checked_once():
        for path in contracts_dir.rglob(files):  # the command's order: Path().rglob(files) in the folder
            file = path.relative_to(contracts_dir)
            try:
                odcs = DataContract(
                    data_contract_file=str(contracts_dir.resolve() / file), inline_references=True, config=cli_config()
                ).get_data_contract()
                html = page(odcs)
            except DataContractException as error:  # one it cannot read: `datacontract catalog` skips it too
                log.warning("contract catalog: skipped %s: %s", file, error)
                continue
            html_path = out_dir / file.with_suffix(".html")
            html_path.parent.mkdir(parents=True, exist_ok=True)
            html_path.write_text(html, encoding="utf-8")
            views.append(DataContractView(html_filepath=html_path, html_link=file.with_suffix(".html"), odcs=odcs))
    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Created <file>"
        create_index_html(views, out_dir)
    return out_dir / "index.html"


def _page_renderer() -> Callable[[OpenDataContractStandard], str]:
    """A contract's page as datacontract.export.html_exporter.to_html renders it, from one Jinja
    environment for every contract (to_html builds one per call). This mirrors to_html of
    datacontract-cli 1.2.8 and reuses its templates and internals (_formatted_date, get_version,
    to_mermaid); a datacontract-cli upgrade changes the catalog's cache key, and the test comparing a
    page with to_html's fails if to_html changed."""
    loader = PackageLoader("datacontract", "templates")
    env = Environment(
        loader=loader, autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=True)
    )
    jinja_partials.register_environment(env, markup=True)
    template: Template = env.get_template("datacontract_odcs.html")
    style, _, _ = loader.get_source(env, "style/output.css")
    cli_version = get_version()

    def page(odcs: OpenDataContractStandard) -> str:
        return template.render(
            datacontract=odcs,
            quality_specification=None,
            style=style,
            datacontract_yaml=odcs.to_yaml(),
            formatted_date=_formatted_date(),
            datacontract_cli_version=cli_version,
            mermaid_diagram=to_mermaid(odcs),
        )

    return page


@contextlib.contextmanager
def _schemas_checked_once() -> Iterator[None]:
    """While it lasts, jsonschema's check_schema passes a schema it has passed before without checking it
    again (datacontract-cli's resolve checks the same bundled ODCS schema for every contract). A schema
    that fails is checked, and fails, every time. Patches the check_schema of jsonschema's validator
    classes (the drafts' public classes, which validator_for returns) and restores them on exit."""
    passed: set[tuple[type, str]] = set()
    originals = {cls: vars(cls)["check_schema"] for cls in _VALIDATORS}

    def checked_once(original: Any) -> classmethod[Any, ..., None]:
        def check_schema(cls: type, schema: Any, *args: Any, **kwargs: Any) -> None:
            key = (cls, json.dumps(schema, sort_keys=True, default=str))
            if key not in passed:
                original.__func__(cls, schema, *args, **kwargs)
                passed.add(key)

        return classmethod(check_schema)

    try:
        for cls, original in originals.items():
            cls.check_schema = checked_once(original)
        yield
    finally:
        for cls, original in originals.items():
            cls.check_schema = original
