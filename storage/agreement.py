"""What ``verify`` checks besides the chain: the key table and the org links against the facts
of the log (noted by the pass into temporary tables), and each aggregate's versions."""

from __future__ import annotations

from storage.chain import hex_id
from storage.logsql import LogSql
from storage.verdict import MAX_LISTED, Problem, Verdict


def check_keys(sql: LogSql, verdict: Verdict) -> None:
    sql.run("CREATE INDEX v_facts_id ON v_facts (fact_id)")
    sql.run("CREATE INDEX v_subjects_id ON v_subjects (originator)")
    for position, fact, kind, subject, key_subject, key_type in sql.all(
        "SELECT f.position, f.fact_id, f.type, s.subject, k.subject, k.type FROM v_facts f "
        "LEFT JOIN v_subjects s ON s.originator = f.originator "
        "LEFT JOIN {facts} k ON k.fact_id = f.fact_id "
        "WHERE k.fact_id IS NULL OR k.subject IS DISTINCT FROM s.subject OR k.type <> f.type "
        f"ORDER BY f.position LIMIT {MAX_LISTED * 4}"
    ):
        if key_subject is None:
            message = (
                f"fact {fact} (position {position:,}) has no key: a re-submission of it would be "
                "stored twice (its key row was deleted, or the event was added outside the ledger)"
            )
            verdict.add(Problem("key_missing", message, position, fact))
        else:
            message = (
                f"fact {fact} (position {position:,}) is a {kind} of {subject} in the log but a "
                f"{key_type} of {key_subject} in the key table"
            )
            verdict.add(Problem("key_mismatch", message, position, fact))
    for fact, count in sql.all(
        "SELECT fact_id, count(*) FROM v_facts GROUP BY fact_id HAVING count(*) > 1 "
        f"ORDER BY fact_id LIMIT {MAX_LISTED}"
    ):
        message = f"fact {fact} is stored {count} times in the log"
        verdict.add(Problem("fact_repeated", message, None, fact))
    for fact, subject in sql.all(
        "SELECT k.fact_id, k.subject FROM {facts} k LEFT JOIN v_facts f ON f.fact_id = k.fact_id "
        f"WHERE f.fact_id IS NULL ORDER BY k.fact_id LIMIT {MAX_LISTED}"
    ):
        message = (
            f"fact {fact} ({subject}) has a key but no event (its event was deleted, or the key "
            "was forged): the fact would be answered 'duplicate' forever"
        )
        verdict.add(Problem("key_orphan", message, None, fact))


def check_links(sql: LogSql, verdict: Verdict) -> None:
    sql.run(
        "CREATE TEMPORARY TABLE v_expected AS SELECT DISTINCT l.org, s.subject FROM v_links l "
        "JOIN v_subjects s ON s.originator = l.originator"
    )
    sql.run("CREATE INDEX v_expected_key ON v_expected (org, subject)")
    # Each side looked up in the other's index (ledger_links' primary key is (org, subject)).
    for org, subject in sql.all(
        "SELECT e.org, e.subject FROM v_expected e WHERE NOT EXISTS (SELECT 1 FROM {links} k "
        f"WHERE k.org = e.org AND k.subject = e.subject) ORDER BY 1, 2 LIMIT {MAX_LISTED}"
    ):
        message = (
            f"{subject} refers to org {org} in the log but the link table misses it: dissolving "
            f"{org} would not see it"
        )
        verdict.add(Problem("link_missing", message))
    for org, subject in sql.all(
        "SELECT k.org, k.subject FROM {links} k WHERE NOT EXISTS (SELECT 1 FROM v_expected e "
        f"WHERE e.org = k.org AND e.subject = k.subject) ORDER BY 1, 2 LIMIT {MAX_LISTED}"
    ):
        message = f"the link table says {subject} refers to org {org}, but no fact in the log does"
        verdict.add(Problem("link_orphan", message))


def check_versions(sql: LogSql, verdict: Verdict) -> None:
    for originator, count, low, high in sql.all(
        "SELECT originator_id, count(*), min(originator_version), max(originator_version) "
        "FROM {events} GROUP BY originator_id "
        "HAVING min(originator_version) <> 1 OR max(originator_version) <> count(*) "
        f"ORDER BY 1 LIMIT {MAX_LISTED}"
    ):
        message = (
            f"aggregate {hex_id(originator)} has {count} events numbered {low} to {high}: an event "
            "is missing, and every later fact of that member or org would fail to load"
        )
        verdict.add(Problem("version_gap", message))
