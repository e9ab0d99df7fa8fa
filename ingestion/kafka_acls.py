"""Production Kafka's topics, SCRAM users and ACLs, derived from the contracts (never written by hand).

    python -m ingestion.kafka_acls > deploy/kafka/kafka-init.sh     regenerate the init script
    python -m ingestion.kafka_acls --check                          exit 1 if the committed script is stale
    python -m ingestion.kafka_acls --list                           the ACLs, one per line

The one-shot `kafka-init` service of docker-compose.yml runs deploy/kafka/kafka-init.sh (on the
apache/kafka image, as the super user gigshield-admin): it creates every feed topic and the alert
topic, one SCRAM-SHA-512 user per agency that publishes a feed plus gigshield-loader, and these ACLs
(StandardAuthorizer, allow.everyone.if.no.acl.found=false, so whatever is not listed is denied):

  * each agency: WRITE + DESCRIBE on the feed topics it may publish — the contract's
    `sourceAgencies` customProperty (Contract.source_agencies) or, when a contract has none, the
    agency its topic name starts with (hrss.wage_payment.v1 → hrss);
  * gigshield-loader (the Airflow loader and the alert producer): READ + DESCRIBE on every feed
    topic, WRITE + DESCRIBE on the alert topic; it reads by manual partition assignment, so it
    needs no consumer-group ACL;
  * the inspectorate (hrss, whose 监察 consumes the alerts): READ + DESCRIBE on the alert topic and
    READ on consumer groups named `hrss.*`.

No client gets DELETE, ALTER, ALTER_CONFIGS, CREATE or ALL: only the super user can delete or
reconfigure a topic. A new contract means a new topic and its ACLs after regenerating the script
(tests/test_kafka_acls.py fails while it is stale); a new agency also needs its password variable
in docker-compose.yml (the same test checks that).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.config import PROJECT_ROOT
from core.contracts import Contract, default_contracts

ADMIN = "gigshield-admin"
LOADER = "gigshield-loader"
INSPECTORATE = "hrss"
ALERT_TOPIC = "gigshield.inspectorate_alert.v1"
INIT_SCRIPT = PROJECT_ROOT / "deploy" / "kafka" / "kafka-init.sh"
PARTITIONS = 3
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW entry: principal (a user name), operation, resource type and name, pattern type."""

    principal: str
    operation: str  # Read, Write, Describe
    resource_type: str  # topic, group
    resource: str
    pattern: str = "literal"  # or prefixed


def writers(contract: Contract) -> tuple[str, ...]:
    """The agencies that may publish to a feed topic."""
    agencies = tuple(getattr(contract, "source_agencies", ()) or ()) or (contract.topic.split(".")[0],)
    for agency in agencies:
        if not _NAME.match(agency):
            raise ValueError(
                f"{contract.topic}: agency {agency!r} is not a principal name (lower-case letters, digits, _)"
            )
    return agencies


def agencies(feeds: Mapping[str, Contract] | None = None) -> list[str]:
    """Every agency that publishes at least one feed: one SCRAM user each."""
    feeds = default_contracts() if feeds is None else feeds
    return sorted({a for c in feeds.values() for a in writers(c)})


def password_variable(principal: str) -> str:
    """The environment variable kafka-init reads a principal's password from."""
    return "GIGSHIELD_KAFKA_PASSWORD_" + principal.upper().replace("-", "_")


def acls(feeds: Mapping[str, Contract] | None = None) -> list[Acl]:
    feeds = default_contracts() if feeds is None else feeds
    entries: set[Acl] = set()
    for topic, contract in feeds.items():
        for agency in writers(contract):
            entries |= {Acl(agency, "Write", "topic", topic), Acl(agency, "Describe", "topic", topic)}
        entries |= {Acl(LOADER, "Read", "topic", topic), Acl(LOADER, "Describe", "topic", topic)}
    entries |= {
        Acl(LOADER, "Write", "topic", ALERT_TOPIC),
        Acl(LOADER, "Describe", "topic", ALERT_TOPIC),
        Acl(INSPECTORATE, "Read", "topic", ALERT_TOPIC),
        Acl(INSPECTORATE, "Describe", "topic", ALERT_TOPIC),
        Acl(INSPECTORATE, "Read", "group", f"{INSPECTORATE}.", "prefixed"),
    }
    return sorted(entries)


HEADER = f"""#!/usr/bin/env bash
# GENERATED from contracts/inbound/*.odcs.yaml by `python -m ingestion.kafka_acls > deploy/kafka/kafka-init.sh`:
# do not edit (tests/test_kafka_acls.py fails when it is stale). Run once per start by the kafka-init
# service of docker-compose.yml, as the super user {ADMIN}; every step is idempotent.
set -euo pipefail
. "$(dirname "${{BASH_SOURCE[0]}}")/admin-client.sh"

topic() {{
  kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" \\
    --create --if-not-exists --topic "$1" --partitions {PARTITIONS} --replication-factor 1
}}
scram_user() {{  # name, password variable
  local password="${{!2:?$2 is not set: the password of Kafka user $1}}"
  if [[ ! $password =~ ^[A-Za-z0-9._~-]{{16,}}$ ]]; then  # kafka-configs.sh splits on , [ ] and =
    echo "kafka-init: $2 must be at least 16 of A-Z a-z 0-9 . _ ~ - (e.g. openssl rand -hex 24)" >&2; exit 2
  fi
  kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter \\
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" --entity-type users --entity-name "$1"
}}
allow() {{  # principal, then kafka-acls.sh operation and resource options
  local principal=$1; shift
  kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add \\
    --allow-principal "User:$principal" "$@"
}}
"""


def render(feeds: Mapping[str, Contract] | None = None) -> str:
    feeds = default_contracts() if feeds is None else feeds
    lines = [HEADER, "# Topics: one per feed contract, and the alert outbox."]
    lines += [f"topic {t}" for t in [*sorted(feeds), ALERT_TOPIC]]
    lines += ["", "# SCRAM-SHA-512 users: the loader and every agency that publishes a feed."]
    lines += [f"scram_user {p} {password_variable(p)}" for p in [LOADER, *agencies(feeds)]]
    lines += ["", "# ACLs (whatever is not allowed here is denied)."]
    grouped: dict[tuple[str, tuple[str, ...], str, str], list[str]] = {}
    by_resource: dict[tuple[str, str, str, str], list[str]] = {}
    for acl in acls(feeds):
        by_resource.setdefault((acl.principal, acl.resource_type, acl.resource, acl.pattern), []).append(acl.operation)
    for (principal, kind, resource, pattern), resource_operations in by_resource.items():
        grouped.setdefault((principal, tuple(sorted(resource_operations)), kind, pattern), []).append(resource)
    for (principal, operations, kind, pattern), resources in sorted(grouped.items()):
        options = [f"--operation {op}" for op in operations]
        if pattern != "literal":
            options.append(f"--resource-pattern-type {pattern}")
        options += [f"--{kind} {r}" for r in sorted(resources)]
        lines.append(f"allow {principal} " + " ".join(options))
    lines += ["", 'echo "kafka-init: topics, users and ACLs are in place"', ""]
    return "\n".join(lines)


def parse_allow_lines(script: str) -> list[Acl]:
    """The ACLs an init script grants, read back from its `allow` lines (for the tests and --check)."""
    found: list[Acl] = []
    for line in script.splitlines():
        if not line.startswith("allow "):
            continue
        words = line.split()
        principal, ops, kind, pattern, resources = words[1], [], "", "literal", []
        for flag, value in zip(words[2::2], words[3::2], strict=False):
            if flag == "--operation":
                ops.append(value)
            elif flag == "--resource-pattern-type":
                pattern = value
            else:
                kind = flag.removeprefix("--")
                resources.append(value)
        found += [Acl(principal, op, kind, r, pattern) for op in ops for r in resources]
    return sorted(found)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 if {INIT_SCRIPT.relative_to(PROJECT_ROOT)} is stale"
    )
    parser.add_argument("--list", action="store_true", help="print the ACLs, one per line")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.list:
        for acl in acls():
            print(f"User:{acl.principal}\t{acl.operation}\t{acl.resource_type}:{acl.resource}\t{acl.pattern}")
        return 0
    if args.check:
        current = INIT_SCRIPT.read_text(encoding="utf-8") if INIT_SCRIPT.exists() else ""
        if current != render():
            print(
                f"{INIT_SCRIPT} is stale: run python -m ingestion.kafka_acls > {INIT_SCRIPT.relative_to(PROJECT_ROOT)}",
                file=sys.stderr,
            )
            return 1
        return 0
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
