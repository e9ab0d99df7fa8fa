"""The labour inspector's page of a night: one static HTML file (data/reports/<date>/index.html) with
the alerts, the inspectorate's work queue of 人社部令第45号 blacklist cases (the acts due, overdue first),
the listings the authority decided, the credit grades in force by jurisdiction and the arrears trend as
charts. Gigshield computes the deadlines; only a recorded listing decision makes a case listed here.

It reads the night's published snapshot (publication/snapshots.py), never the warehouse, so it shows
exactly what analysts see and can be rendered while the next night is being written. Everything is
inline (SVG charts, CSS): the file opens offline from a disk or an e-mail attachment.

    python -m reports.inspector_page --date 2026-11-24
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from core.config import Settings
from core.warehouse import one_row, rows_as_dicts
from publication.snapshots import connect
from reports.svg_charts import line, stacked_bars

# The night's cases for inspectors (marts.fct_inspectorate_alerts), critical first. The SLA columns are
# days counted from the night the alert outbox first raises a case: the page shows them where no alert
# about the case had been raised by the night (SENT has the dates of those that had).
ALERTS = """SELECT case_key, case_kind, case_ref, severity, enterprise_uscc, enterprise_name, jurisdiction,
                   inspectorate_name, inspectorate_email, opened_on, amount, workers_affected, sla_accept_days,
                   sla_connect_days, sla_feedback_days, summary, evidence
            FROM marts.fct_inspectorate_alerts
            ORDER BY severity = 'critical' DESC, opened_on, case_key"""
# The 人社部令第45号 cases with an act due (marts.fct_blacklist_work_queue): overdue first, then by the
# act's legal deadline (a case without one, a reference-data error, last).
WORK_QUEUE = """SELECT order_id, enterprise_name, enterprise_uscc, region_code, jurisdiction, inspectorate_name,
                       case_status, next_act, next_act_due, is_overdue, working_days_overdue
                FROM marts.fct_blacklist_work_queue
                ORDER BY is_overdue DESC NULLS LAST, next_act_due NULLS LAST, order_id"""
# Listed means decided: only the statuses the authority's listing decision (列入决定) puts a case in, with
# its document number. A case whose deadlines merely passed is in the work queue, never here.
LISTED_STATUSES = ("listed", "removal_due")
BLACKLIST = f"""SELECT order_id, enterprise_name, enterprise_uscc, jurisdiction, case_status, listing_criterion,
                       workers_affected, amount_outstanding, decision_number, deciding_authority, legal_basis,
                       decision_date, listed_from, listed_until, next_act, next_act_due, is_overdue
                FROM marts.fct_blacklist_cases
                WHERE case_status IN {LISTED_STATUSES} AND decision_number IS NOT NULL
                ORDER BY listed_from DESC, order_id"""
# The persons a decision lists (法定代表人 / 主要负责人 / 直接负责的主管人员 / 其他直接责任人员): a name only
# where 45号令 publishes it (published_name is null otherwise).
LISTED_PERSONS = """SELECT order_id, person_role, role_title, published_name
                    FROM marts.fct_blacklist_listed_persons
                    WHERE is_listed_now
                    ORDER BY order_id, list_position(['legal_representative', 'principal',
                                                       'responsible_manager', 'other_responsible'], person_role),
                             person_key"""
# Credit tiers of the grades in force on the night (人社部规〔2016〕1号: the previous, finished year's
# grade, assessed this year), or blacklisted.
GRADES = """SELECT coalesce(r.jurisdiction, 'unknown') AS jurisdiction, c.credit_tier, count(*) AS enterprises
            FROM marts.fct_enterprise_credit AS c
            LEFT JOIN reference.ref_regions AS r ON CAST(r.region_code AS VARCHAR) = c.region_code
            WHERE c.is_grade_in_force
            GROUP BY ALL ORDER BY ALL"""
GRADE_YEAR = "SELECT max(grade_year) FROM marts.fct_enterprise_credit WHERE is_grade_in_force"
# Every pay period whose due date has passed, with what is still unpaid of it: a period without arrears
# is a point at zero, not a gap the line would jump over. Cases count pay paid late as well as unpaid.
ARREARS_TREND = """WITH periods AS (SELECT pay_period FROM marts.fct_wage_payments WHERE due_date < $day
                                   UNION SELECT pay_period FROM intermediate.int_hrss__wage_arrears)
                   SELECT p.pay_period, coalesce(sum(a.amount_unpaid), 0) AS amount_unpaid,
                          count(a.pay_period) AS cases, count(DISTINCT a.worker_key) AS workers
                   FROM periods AS p
                   LEFT JOIN intermediate.int_hrss__wage_arrears AS a ON a.pay_period = p.pay_period
                   GROUP BY p.pay_period ORDER BY p.pay_period"""
# Handling steps: the message's <step>_by deadline, the mart's sla_<step>_days.
STEPS = ("accept", "connect", "feedback")
# Per case, the latest message of the outbox (schema alerts) raised about it by the night: what its
# inspectorate is sent. As of the night's logical date, so a backfilled night shows its own alerts.
SENT = f"""SELECT message->>'case_key' AS case_key, alert_id, revision, message->>'status' AS status,
                  {", ".join(f"CAST(message->>'{s}_by' AS DATE) AS {s}_by" for s in STEPS)}
           FROM alerts.alert_revisions WHERE logical_date <= $day
           QUALIFY row_number() OVER (PARTITION BY message->>'case_key'
                                      ORDER BY logical_date DESC, revision DESC) = 1"""
HAS_OUTBOX = "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'alerts' AND table_name = 'alert_revisions'"
TIER_COLOURS = {"A": "#2e7d32", "B": "#f9a825", "C": "#e65100", "blacklisted": "#212121"}
TREND_COLOUR = "#c62828"
# A case's status and next act (marts.fct_blacklist_cases) as the page names them.
CASE_STATUSES = {
    "criteria_error": "基础数据错误 reference-data error",
    "threshold_unconfirmed": "数额标准待确认 threshold unconfirmed",
    "candidate": "待告知 notice to serve",
    "notified": "已告知 notified",
    "objection_pending": "异议待复核 objection pending",
    "decision_due": "待作出决定 decision due",
    "listed": "已列入 listed",
    "removal_due": "待移出 removal due",
    "delisted": "已移出 delisted",
    "removed_early": "已提前移出 removed early",
    "not_listed": "不予列入 not listed",
}
NEXT_ACTS = {
    "fix_reference_data": "修正基础数据 fix the reference data",
    "confirm_threshold": "确认数额标准 confirm the threshold",
    "serve_notice": "送达拟列入告知书 serve the notice",
    "decide_objection": "异议复核 decide the objection",
    "decide_listing": "作出是否列入决定 decide the listing",
    "delist": "移出名单 delist",
    "decide_early_removal": "提前移出决定 decide the early removal",
}
CRITERIA = {
    "one_worker_threshold": "单人欠薪达数额标准 one worker over the threshold",
    "many_workers_threshold": "多人欠薪达数额标准 workers over the threshold",
    "mass_incident": "引发群体性事件 mass incident",
}

_templates = Environment(
    loader=PackageLoader("reports", "templates"),
    autoescape=select_autoescape(["j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(con: duckdb.DuckDBPyConnection, day: dt.date) -> str:
    """The page's HTML from a connection to the night's snapshot."""
    grades = {(g["jurisdiction"], g["credit_tier"]): g["enterprises"] for g in rows_as_dicts(con, GRADES)}
    jurisdictions = sorted({j for j, _ in grades})
    trend = rows_as_dicts(con, ARREARS_TREND, {"day": day})
    charts: dict[str, Markup | None] = {
        "grades": stacked_bars(
            "Credit tiers in force by jurisdiction 现行信用等级分布",
            jurisdictions,
            TIER_COLOURS,
            grades,
            "enterprises 企业数",
        )
        if grades
        else None,
        "arrears": line(
            "Wage arrears by pay period 欠薪趋势",
            [(t["pay_period"], t["amount_unpaid"]) for t in trend],
            TREND_COLOUR,
            "unpaid ¥ 欠付金额",
        )
        if trend
        else None,
    }
    # A night published before any alert was raised has no outbox: every case shows its SLA days.
    has_outbox = one_row(con, HAS_OUTBOX)[0]
    sent = {a["case_key"]: a for a in rows_as_dicts(con, SENT, {"day": day})} if has_outbox else {}
    persons: dict[str, list[dict[str, object]]] = {}
    for person in rows_as_dicts(con, LISTED_PERSONS):
        persons.setdefault(person["order_id"], []).append(person)
    return _templates.get_template("inspector_page.html.j2").render(
        day=day,
        charts=charts,
        alerts=rows_as_dicts(con, ALERTS),
        sent=sent,
        steps=STEPS,
        queue=rows_as_dicts(con, WORK_QUEUE),
        blacklist=rows_as_dicts(con, BLACKLIST),
        persons=persons,
        case_statuses=CASE_STATUSES,
        next_acts=NEXT_ACTS,
        criteria=CRITERIA,
        grades=grades,
        grade_year=one_row(con, GRADE_YEAR)[0],
        jurisdictions=jurisdictions,
        tiers=TIER_COLOURS,
        trend=trend,
    )


def render_inspector_page(day: dt.date, settings: Settings | None = None) -> Path:
    """Write the page of the published night `day` (the same bytes on a rerun); returns its path."""
    settings = settings or Settings.from_env()
    with connect(day, settings) as con:
        html = page(con, day)
    out = settings.paths.inspector_page(day)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m reports.inspector_page",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--date", type=dt.date.fromisoformat, required=True, help="a published night")
    print(render_inspector_page(parser.parse_args(argv).date))


if __name__ == "__main__":
    main()
