"""``ledger key new``: a fresh key for ``LEDGER_CIPHER_KEY`` (encryption at rest)."""

import typer

from api.cli.common import app

key_app = typer.Typer(
    help="Keys for encryption at rest (LEDGER_CIPHER_KEY).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(key_app, name="key")


@key_app.command("new", epilog="Example: ledger key new > ledger.key")
def new_command() -> None:
    """Print a fresh random AES-256 key (base64) for LEDGER_CIPHER_KEY.

    Keep it outside the database and its backups: whoever holds both reads the names. A lost
    key cannot be recovered, nor the names and birth dates it encrypted (docs/operations.md).
    """
    from storage.cipher import new_key

    typer.echo(new_key())
