"""The labour inspector's page (reports/inspector_page.py) of a built and published night, opened in
headless Chromium: both charts are laid-out SVGs whose marks are the snapshot's numbers (the grades those
in force on the night), the tables hold the night's alerts (with the deadlines the raised alerts sent),
the inspectorate's work queue of blacklist cases (overdue first) and only the listings the authority
decided, and the page is the same bytes on a rerun and needs no network."""

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
from reports.inspector_page import LISTED_STATUSES, STEPS, render_inspector_page
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
        WHERE c.is_grade_in_force GROUP BY ALL""",
        )
    }
    in_force = query(night, "SELECT DISTINCT grade_year FROM marts.fct_enterprise_credit WHERE is_grade_in_force")
    assert in_force == [
        (AS_OF.year - 1,)
    ]  # the previous, finished year's grade (人社部规〔2016〕1号), not the running one
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


def test_the_work_queue_shows_each_case_with_an_act_due_overdue_first(night, probed):
    queue = query(
        night,
        """
        SELECT order_id, case_status, next_act, CAST(next_act_due AS VARCHAR), is_overdue, working_days_overdue
        FROM marts.fct_blacklist_work_queue
        ORDER BY is_overdue DESC NULLS LAST, next_act_due NULLS LAST, order_id""",
    )
    assert queue and any(is_overdue for *_, is_overdue, _ in queue), "the night has no overdue act to show"
    rows = probed["rows"]["queue"]
    assert [r["data"]["orderId"] for r in rows] == [order for order, *_ in queue]
    overdue = [bool(is_overdue) for *_, is_overdue, _ in queue]
    assert overdue == sorted(overdue, reverse=True)  # overdue cases first
    for row, (_, status, act, due, is_overdue, days) in zip(rows, queue, strict=True):
        assert row["fields"] == {
            "case_status": status,
            "next_act": act or "—",
            "next_act_due": due or "—",
            "working_days_overdue": f"逾期 {days} 个工作日 working days" if is_overdue else "—",
        }, row["data"]["orderId"]


def undecided_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The legal representatives' names of the enterprises whose cases are not listed by a decision."""
    return {
        name
        for (name,) in con.execute(
            f"""
            SELECT DISTINCT e.legal_rep_name FROM marts.fct_blacklist_cases AS c
            JOIN marts.dim_enterprise AS e ON e.uscc = c.enterprise_uscc
            WHERE e.legal_rep_name IS NOT NULL AND c.enterprise_uscc NOT IN (
                SELECT enterprise_uscc FROM marts.fct_blacklist_cases
                WHERE case_status IN {LISTED_STATUSES} AND decision_number IS NOT NULL)"""
        ).fetchall()
    }


def test_the_blacklist_shows_only_decided_listings(night, probed, page):
    """Nothing computed is shown as listed: the section holds exactly the cases a listing decision put in
    listed or removal_due, and no undecided case's legal representative is named anywhere on the page."""
    decided = dict(
        query(
            night,
            f"SELECT order_id, decision_number FROM marts.fct_blacklist_cases WHERE case_status IN {LISTED_STATUSES}",
        )
    )
    assert all(decided.values()), "a case listed without a decision number"
    rows = {r["data"]["orderId"]: r["fields"] for r in probed["rows"]["blacklist"]}
    assert rows.keys() == decided.keys()
    assert all(rows[order]["decision_number"] == number for order, number in decided.items())
    with connect(AS_OF, night) as con:
        names = undecided_names(con)
    assert names, "the night has no undecided case to check"
    text = page.read_text(encoding="utf-8")
    assert not [name for name in names if name in text]


def test_a_decided_listing_shows_its_decision_and_only_published_names(night, tmp_path):
    """A snapshot in which the authority decided one case (listed, 决定书 number, two persons, one name
    published) and another case is marked listed without a decision: only the decided one is shown, with
    its decision, authority and the published name; the unpublished person is a role without a name."""
    snapshot = tmp_path / "snapshot.duckdb"
    shutil.copy(snapshot_path(AS_OF, night), snapshot)
    snapshot.chmod(0o644)
    with duckdb.connect(str(snapshot)) as con:
        cases = con.execute(
            "SELECT order_id, enterprise_uscc FROM marts.fct_blacklist_cases WHERE case_status NOT IN "
            f"{LISTED_STATUSES} ORDER BY order_id"
        ).fetchall()
        assert len(cases) >= 2, "the night has too few cases"
        (decided, uscc), (undecided, _) = cases[:2]
        number = "湘人社失信决〔2026〕7号"
        con.execute(
            """UPDATE marts.fct_blacklist_cases SET case_status = 'listed', decision_number = $number,
                   deciding_authority = '长沙市人力资源和社会保障局', legal_basis = '人社部令第45号',
                   decision_date = CAST($day AS DATE), listed_from = CAST($day AS DATE),
                   listed_until = CAST($day AS DATE) + INTERVAL 3 YEAR,
                   next_act = NULL, next_act_due = NULL, is_overdue = false
               WHERE order_id = $order""",
            {"number": number, "day": AS_OF, "order": decided},
        )
        con.execute(
            "UPDATE marts.fct_blacklist_cases SET case_status = 'listed' WHERE order_id = $order",
            {"order": undecided},
        )  # a status without a decision (the mart's tests forbid it): still not shown as listed
        con.execute(
            """INSERT INTO marts.fct_blacklist_listed_persons BY NAME
               SELECT $order AS order_id, $uscc AS enterprise_uscc, $number AS decision_number, * FROM (VALUES
                   ('k1', 'legal_representative', '法定代表人', true, '王五'),
                   ('k2', 'responsible_manager', '直接负责的主管人员', false, NULL))
                   AS p(person_key, person_role, role_title, name_published, published_name),
                   (SELECT true AS is_listed_now, CAST($day AS DATE) AS as_of_date)""",
            {"order": decided, "uscc": uscc, "number": number, "day": AS_OF},
        )
        page_html = inspector_page.page(con, AS_OF)
    rows = probe(page_html, tmp_path)["rows"]["blacklist"]
    assert [r["data"]["orderId"] for r in rows] == [decided]
    (row,) = rows
    assert row["fields"] == {
        "decision_number": number,
        "deciding_authority": "长沙市人力资源和社会保障局",
        "case_status": "listed",
    }
    assert "人社部令第45号" in row["text"] and AS_OF.isoformat() in row["text"]
    assert "法定代表人: 王五" in row["text"] and "直接负责的主管人员: 姓名不公布" in row["text"]


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
