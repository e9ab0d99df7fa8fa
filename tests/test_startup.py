"""The DAG's first tasks are cheap (issue 15): list_feeds and list_datasets read file names, and
importing the steps module loads none of the heavy libraries the later tasks need."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.contracts import default_contracts, outbound_contracts
from orchestration.steps import feed_topics, outbound_datasets

pytestmark = pytest.mark.unit

HEAVY = ("duckdb", "kafka", "pyarrow", "pandas", "great_expectations", "dbt", "open_data_contract_standard")


def test_the_task_lists_are_the_contracts_ids():
    assert feed_topics() == sorted(default_contracts())
    assert outbound_datasets() == sorted(outbound_contracts())


def test_listing_feeds_and_datasets_imports_no_heavy_library():
    code = (
        "import json, sys; from orchestration.steps import feed_topics, outbound_datasets;"
        "feed_topics(); outbound_datasets(); print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
