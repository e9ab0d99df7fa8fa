"""The labour inspector's page (reports/inspector_page.py) of a built and published night, opened in
headless Chromium: both charts are laid-out SVGs whose marks are the snapshot's numbers, the tables
hold the night's alerts (with the deadlines the raised alerts sent) and blacklist, and the page is the
same bytes on a rerun and needs no network."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from core.config import PROJECT_ROOT, Settings
from orchestration.alert_steps import update_alerts
from publication import snapshots
from publication.snapshots import connect, publish_snapshot, snapshot_path
from reports import inspector_page
from reports.inspector_page import STEPS, render_inspector_page
from tests.support import AS_OF, chromium, copy_built_night, rendered_dom, stand_in_dbt_docs

pytestmark = pytest.mark.integration

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
WINDOW = (1280, 2400)
# Run in a copy of the page after Chromium has laid it out: reports the charts' marks (their data and
# their rendered boxes) and the tables' rows into the DOM, where --dump-dom hands them to the test.
PROBE = """<script>
const box = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
const report = {charts: {}, rows: {}};
for (const section of document.querySelectorAll('section')) {
  report.rows[section.id] = [...section.querySelectorAll('tbody tr')].map(tr => ({
    data: {...tr.dataset}, text: tr.textContent,
    fields: Object.fromEntries([...tr.querySelectorAll('[data-field]')].map(e => [e.dataset.field, e.textContent]))}));
  const svg = section.querySelector('svg.chart');
  if (!svg) continue;
  const line = svg.querySelector('polyline.trend');
  report.charts[section.id] = {
    namespace: svg.namespaceURI, box: box(svg), line_points: line ? line.points.numberOfItems : 0,
    bars: [...svg.querySelectorAll('rect.bar')].map(
      r => ({category: r.dataset.category, series: r.dataset.series, value: r.dataset.value, box: box(r)})),
    points: [...svg.querySelectorAll('circle.point')].map(
      c => ({label: c.dataset.label, value: c.dataset.value, cy: c.cy.baseVal.value, box: box(c)})),
  };
}
const out = document.createElement('pre');
out.id = 'probe';
out.textContent = JSON.stringify(report);
document.body.append(out);
</script>"""
# Anything a browser would fetch: a URL, a script, a stylesheet, an image or frame, a CSS url().
NETWORK = re.compile(r"https?:|<(script|link|img|iframe|object|embed)\b|\b(src|href)\s*=|url\(|@import", re.I)


@pytest.fixture(scope="module")
def night(built_night, tmp_path_factory) -> Settings:
    """A built night with its alerts raised (the outbox only: nothing is delivered), published as the
    snapshot the page reads (a copy of the session's built night: this writes to it)."""
    with pytest.MonkeyPatch.context() as mp:
        settings = copy_built_night(built_night, tmp_path_factory.mktemp("night"), mp)
        update_alerts(AS_OF, settings)
        mp.setattr(snapshots, "render_dbt_docs", stand_in_dbt_docs)
        publish_snapshot(AS_OF, settings)
        yield settings


@pytest.fixture(scope="module")
def page(night) -> Path:
    return render_inspector_page(AS_OF, night)


def probe(page_html: str, folder: Path) -> dict:
    """What the probe sees of a page in Chromium."""
    copy = folder / "index.html"
    copy.write_text(page_html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    found = re.search(r'<pre id="probe">(.*?)</pre>', rendered_dom(copy), re.DOTALL)
    assert found, "the probe did not run"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def probed(page, tmp_path_factory) -> dict:
    return probe(page.read_text(encoding="utf-8"), tmp_path_factory.mktemp("probe"))


def query(night: Settings, sql: str, **params: object) -> list[tuple]:
    """Rows of the night's snapshot."""
    with connect(AS_OF, night) as con:
        return con.execute(sql, params).fetchall()


def laid_out(mark: dict) -> bool:
    width, height = mark["box"]
    return width > 0 and height > 0


def test_the_grades_chart_has_a_bar_segment_per_jurisdiction_and_tier(night, probed):
    counts = {
        (jurisdiction, tier): n
        for jurisdiction, tier, n in query(
            night,
            """
        SELECT coalesce(r.jurisdiction, 'unknown'), c.credit_tier, count(*) FROM marts.fct_enterprise_credit AS c
        LEFT JOIN reference.ref_regions AS r ON CAST(r.region_code AS VARCHAR) = c.region_code
        WHERE c.grade_year = year($day) GROUP BY ALL""",
            day=AS_OF,
        )
    }
    assert len({j for j, _ in counts}) > 1 and len({t for _, t in counts}) > 1, "the night has too little to chart"

    chart = probed["charts"].get("grades")
    assert chart, "no grades chart on the page"
    assert chart["namespace"] == SVG_NAMESPACE and laid_out(chart)
    bars = chart["bars"]
    assert {(b["category"], b["series"]): int(b["value"]) for b in bars} == counts
    assert len(bars) == len(counts) and all(laid_out(b) for b in bars)
    heights_per_enterprise = [b["box"][1] / int(b["value"]) for b in bars]  # one scale for every bar
    assert max(heights_per_enterprise) - min(heights_per_enterprise) < 0.5


def test_the_arrears_chart_has_a_point_per_pay_period(night, probed):
    unpaid = dict(
        query(
            night,
            """
        SELECT p.pay_period, coalesce(sum(a.amount_unpaid), 0)
        FROM (SELECT DISTINCT pay_period FROM marts.fct_wage_payments WHERE due_date < $day) AS p
        LEFT JOIN intermediate.int_hrss__wage_arrears AS a USING (pay_period) GROUP BY ALL""",
            day=AS_OF,
        )
    )
    assert len(unpaid) > 1 and len(set(unpaid.values())) > 1, "the night has no arrears trend to chart"

    chart = probed["charts"].get("arrears")
    assert chart, "no arrears chart on the page"
    assert chart["namespace"] == SVG_NAMESPACE and laid_out(chart)
    points = chart["points"]
    assert [p["label"] for p in points] == sorted(unpaid)
    assert {p["label"]: Decimal(p["value"]) for p in points} == unpaid
    assert chart["line_points"] == len(unpaid) and all(laid_out(p) for p in points)
    by_value = sorted(points, key=lambda p: Decimal(p["value"]))
    assert [p["cy"] for p in by_value] == sorted((p["cy"] for p in points), reverse=True)  # more is higher


def test_the_alerts_table_has_the_marts_cases(night, probed):
    cases = dict(query(night, "SELECT case_key, enterprise_uscc FROM marts.fct_inspectorate_alerts"))
    assert cases, "the night raised no cases"
    rows = probed["rows"]["alerts"]
    assert sorted(r["data"]["caseKey"] for r in rows) == sorted(cases)
    assert all(cases[r["data"]["caseKey"]] in r["text"] for r in rows)


def test_each_alert_shows_the_deadline_dates_its_inspectorate_was_sent(night, probed):
    # The open alerts' current revisions, as the outbox keeps them (the night is the latest raised).
    sent = {
        case_key: (alert_id, revision, status, json.loads(message))
        for case_key, alert_id, revision, status, message in query(
            night,
            """
                SELECT s.case_key, s.alert_id, s.revision, s.status, r.message
                FROM alerts.alert_state AS s JOIN alerts.alert_revisions AS r USING (alert_id, revision)
                WHERE s.status = 'open'""",
        )
    }
    dated = {k: [m[f"{step}_by"] for step in STEPS] for k, (*_, m) in sent.items()}
    jurisdictions = {k: m["jurisdiction"] for k, (*_, m) in sent.items()}
    assert {jurisdictions[k] for k, dates in dated.items() if all(dates)} >= {"gaoqing"}, "no case with deadlines"
    assert {jurisdictions[k] for k, dates in dated.items() if not any(dates)} >= {"hunan"}, "no case without any"

    rows = {r["data"]["caseKey"]: r["fields"] for r in probed["rows"]["alerts"]}
    assert rows.keys() == sent.keys()
    for case_key, (alert_id, revision, status, _) in sent.items():
        assert rows[case_key] == {
            "alert_id": alert_id,
            "revision": str(revision),
            "status": status,
            **{step: date or "—" for step, date in zip(STEPS, dated[case_key], strict=True)},
        }, case_key


def test_a_night_without_alert_outbox_shows_the_sla_days(night, tmp_path):
    """A snapshot published before alerts were ever raised (no schema alerts) still renders, with days."""
    snapshot = tmp_path / "snapshot.duckdb"
    shutil.copy(snapshot_path(AS_OF, night), snapshot)
    snapshot.chmod(0o644)
    with duckdb.connect(str(snapshot)) as con:
        con.execute("DROP SCHEMA alerts CASCADE")
        days = {
            k: [f"{d} d" if d is not None else "—" for d in ds]
            for k, *ds in con.execute(
                "SELECT case_key, sla_accept_days, sla_connect_days, sla_feedback_days "
                "FROM marts.fct_inspectorate_alerts"
            ).fetchall()
        }
        rows = probe(inspector_page.page(con, AS_OF), tmp_path)["rows"]["alerts"]
    assert any(d != ["—"] * len(STEPS) for d in days.values()), "no case with SLA days"
    assert {r["data"]["caseKey"]: r["fields"] for r in rows} == {
        k: dict(zip(STEPS, d, strict=True)) for k, d in days.items()
    }


def test_the_blacklist_shows_the_listed_enterprises(night, probed):
    orders = {
        order: (name, rep)
        for order, name, rep in query(
            night,
            """
        SELECT order_id, enterprise_name, legal_rep_name FROM marts.fct_unpaid_wage_blacklist""",
        )
    }
    assert len(orders) > 1
    rows = {r["data"]["orderId"]: r["text"] for r in probed["rows"]["blacklist"]}
    assert rows.keys() == orders.keys()
    assert all(name in rows[order] and rep in rows[order] for order, (name, rep) in orders.items())


def png_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{png} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_a_screenshot_of_the_page_is_not_blank(page, tmp_path):
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    shots = {name: tmp_path / f"{name}.png" for name in ("page", "blank")}
    for name, source in (("page", page), ("blank", blank)):
        chromium(f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shots[name]}", source.as_uri())
        assert png_size(shots[name]) == WINDOW
    # A page of text, tables and charts compresses far worse than an empty window of the same size.
    assert shots["page"].stat().st_size > 20 * shots["blank"].stat().st_size


def test_a_rerun_writes_the_same_bytes_and_the_page_needs_no_network(night, page):
    first = page.read_bytes()
    env = {**os.environ, "GIGSHIELD_DATA_DIR": str(night.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "reports.inspector_page", "--date", AS_OF.isoformat()],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == page
    assert page.read_bytes() == first

    text = first.decode("utf-8")
    assert text.count("<svg") == 2
    assert not NETWORK.search(text), NETWORK.search(text)
