"""``ledger token create|revoke|list``: the HTTP API's bearer tokens.

A token has a name, a role (``reader``, ``registrar``, ``admin``) and a scope: the org whose
subtree it may read (and, for a registrar, record facts for). Its secret is printed once, when
it is created, and stored only as a hash.
"""

from typing import Annotated

import typer

from api.cli.common import DbOption, JsonOption, answer, app, fail, open_ledger, print_json
from commands.clock import local_now

token_app = typer.Typer(
    help="The HTTP API's tokens: create, revoke, list.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(token_app, name="token")


@token_app.command(
    "create", epilog="Example: ledger token create --name d03-clerk --role registrar --scope hp.d03"
)
def create_command(
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Who uses it.")],
    role: Annotated[
        str, typer.Option("--role", metavar="reader|registrar|admin", help="What it may do.")
    ],
    scope: Annotated[
        str | None,
        typer.Option(
            "--scope",
            metavar="ORG",
            help="The org whose subtree it covers (without one: the whole ledger; not for a "
            "registrar).",
        ),
    ] = None,
    json_output: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Create a token and print it (once: it is stored only as a hash)."""
    from storage.tokens import TokenError

    if scope is None and role == "registrar":
        fail("a registrar token needs --scope ORG (readers and admins may cover the whole ledger)")
    with open_ledger(db, migrate=True) as ledger:
        if scope is not None:
            ledger.models.fresh()
            answer(lambda: ledger.models.org_path(scope))  # an unknown org is refused
        try:
            record, token = ledger.tokens.create(name, role, scope, local_now())
        except TokenError as err:
            fail(str(err))
    if json_output:
        print_json({"token": token, **record.as_json()})
        return
    typer.echo(token)
    typer.echo(
        f"token {record.name!r}: {record.role} of {record.scope or 'the whole ledger'}; keep it "
        "now, it is not shown "
        "again (send it as 'Authorization: Bearer <token>')",
        err=True,
    )


@token_app.command("revoke", epilog="Example: ledger token revoke --name d03-clerk")
def revoke_command(
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="The token's name.")],
    db: DbOption = None,
) -> None:
    """Revoke a token: it is refused from now on (its name stays taken)."""
    from storage.tokens import TokenError

    with open_ledger(db, migrate=True) as ledger:
        try:
            record = ledger.tokens.revoke(name, local_now())
        except TokenError as err:
            fail(str(err), 1)
    typer.echo(f"token {record.name!r} revoked")


@token_app.command("list", epilog="Example: ledger token list --json")
def list_command(json_output: JsonOption = False, db: DbOption = None) -> None:
    """List the tokens (never their secrets)."""
    with open_ledger(db) as ledger:
        records = ledger.tokens.all()
    if json_output:
        print_json({"tokens": [r.as_json() for r in records]})
        return
    for r in records:
        state = f"revoked {r.revoked_at}" if r.revoked_at else "live"
        typer.echo(f"{r.name:<24} {r.role:<10} {r.scope or '(all)':<20} {state}")
    if not records:
        typer.echo("no tokens (ledger token create --name N --role R --scope ORG)")
