"""One nightly run at a time: a second run started meanwhile exits at once, naming the lock and its holder."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from devstack.run_nightly import EX_TEMPFAIL, LOCK_NAME, NightlyRunning, nightly_lock

pytestmark = pytest.mark.integration

HOLD = (
    "import sys, time, pathlib; from devstack.run_nightly import nightly_lock\n"
    "with nightly_lock(pathlib.Path(sys.argv[1])):\n"
    "    print('locked', flush=True); time.sleep(120)\n"
)


@pytest.fixture
def holder(tmp_path):
    """A helper process holding <tmp>/data/.nightly.lock through the same function the runner uses."""
    data = tmp_path / "data"
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(data)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    yield data, process
    process.kill()
    process.wait()


def test_a_second_night_exits_at_once_naming_the_lock_and_its_holder(holder, tmp_path):
    data, process = holder
    env = {
        **os.environ,
        "GIGSHIELD_DATA_DIR": str(data),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "GIGSHIELD_KAFKA_BOOTSTRAP": "127.0.0.1:1",
    }  # were it to get past the lock, nothing real would start
    started = time.monotonic()
    second = subprocess.run(
        [sys.executable, "-m", "devstack.run_nightly", "--date", "2026-11-22", "--no-publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 30
    assert second.returncode == EX_TEMPFAIL, second.stderr
    assert str(data / LOCK_NAME) in second.stderr and f"PID {process.pid}" in second.stderr
    assert "Traceback" not in second.stderr
    assert not (data / "logs").exists()  # it started nothing: no migrate, no DAG run


def test_the_lock_is_free_again_when_its_holder_dies(holder):
    data, process = holder
    with pytest.raises(NightlyRunning) as refused, nightly_lock(data):
        pass
    assert refused.value.pid == process.pid
    process.kill()
    process.wait()
    with nightly_lock(data) as path:  # the kernel released it: no stale lock to clean up by hand
        assert path.read_text().strip() == str(os.getpid())
    with nightly_lock(data):  # and released again on leaving, in the same process
        pass
