"""``ledger digest`` and ``ledger verify``: the hash chain's head for an auditor to keep, and the
proof that the log, its keys and its links still agree with it (storage.chain, storage.verify)."""

import time
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import DbOption, JsonOption, app, fail, open_ledger, print_json

if TYPE_CHECKING:
    from storage.verify import Verdict

DigestOption = Annotated[
    str | None,
    typer.Option(
        "--digest",
        metavar="EVENTS:HEX",
        help="A digest kept earlier ('ledger digest'): prove the log still starts with it.",
    ),
]
ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Start from the kept --digest instead of the first event (the events before it "
        "were proved by an earlier full verify).",
    ),
]


@app.command("digest", epilog="Example: ledger digest --db sqlite:///demo.db")
def digest_command(json_output: JsonOption = False, db: DbOption = None) -> None:
    """Print the head of the log's hash chain, for an auditor to keep.

    The head covers every event up to it: a later 'ledger verify --digest EVENTS:HEX' proves
    that the log still starts with exactly that history.
    """
    from storage.verify import NoChain, head

    with open_ledger(db) as ledger:
        try:
            digest, end, linked_to = head(ledger.database)
        except NoChain as err:
            fail(str(err))
    if json_output:
        print_json({"events": digest.events, "position": linked_to, "head": str(digest)})
    else:
        typer.echo(f"{digest}")  # alone on standard output: ``ledger digest >> kept.txt``
        typer.echo(
            f"the head of the hash chain after {digest.events:,} events (log position "
            f"{linked_to:,}); keep it, and later run: ledger verify --digest {digest}",
            err=True,
        )
    if end != linked_to:
        fail(
            f"the log goes on to position {end:,} but its chain stops at {linked_to:,}: run "
            "'ledger migrate' to link the rest",
            1,
        )


@app.command("verify", epilog="Example: ledger verify --digest 505744:9f2c… --db sqlite:///demo.db")
def verify_command(
    digest: DigestOption = None,
    resume: ResumeOption = False,
    json_output: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Recompute the log's hash chain and check the key table, the links and the versions.

    Names the first altered, missing or reordered event; with --digest, proves that a digest
    kept earlier is still a prefix of today's log. Exit status 1 when anything disagrees.
    """
    from api.cli import render
    from ledger.member import ORG_FIELDS
    from storage.chain import Chain, Digest
    from storage.verify import NoChain, verify

    kept = None
    if digest is not None:
        try:
            kept = Digest.parse(digest)
        except ValueError as err:
            fail(f"--digest: {err}")
    if resume and kept is None:
        fail("--resume starts from a kept digest: give it with --digest EVENTS:HEX")
    started = time.monotonic()
    with open_ledger(db) as ledger:
        chain = Chain.of(ledger.app.mapper)
        total = ledger.log.position()
        try:
            with render.progress(total, "verifying", unit="events") as advance:
                verdict = verify(
                    ledger.database,
                    chain,
                    org_fields=ORG_FIELDS,
                    digest=kept,
                    resume=resume,
                    progress=advance,
                )
        except NoChain as err:
            fail(str(err))
    if json_output:
        print_json(verdict.as_json())
    else:
        typer.echo(_text(verdict, time.monotonic() - started))
    if not verdict.ok:
        raise typer.Exit(1)


def _text(verdict: "Verdict", seconds: float) -> str:
    lines = []
    what = (
        "the chain and the versions"
        if not verdict.full
        else ("the chain, the key table, the links and the aggregates' versions")
    )
    start = f" after event {verdict.digest.events:,}" if verdict.resumed and verdict.digest else ""
    if verdict.ok:
        lines.append(f"verified {verdict.events:,} events{start} in {seconds:.1f} s: {what} agree")
    else:
        total = sum(verdict.counts.values())
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(verdict.counts.items()))
        lines.append(f"{total:,} problem(s) in {verdict.events:,} events{start} ({kinds}):")
        lines.extend(f"  {p.kind}: {p.message}" for p in verdict.problems)
        shown = len(verdict.problems)
        if shown < total:
            lines.append(f"  … and {total - shown:,} more (--json lists up to 100 of each kind)")
    if verdict.digest is not None and "digest_mismatch" not in verdict.counts:
        if verdict.resumed:
            lines.append(f"the stored chain passes through the kept digest {verdict.digest}")
        elif verdict.ok:
            lines.append(f"the kept digest {verdict.digest} is a prefix of today's log")
    lines.append(f"head: {verdict.head}")
    return "\n".join(lines)
