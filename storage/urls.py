"""``LEDGER_DATABASE_URL``: what it names, how it is shown without its password."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse

from storage.cipher import check_key, library_env

DEFAULT_DATABASE_URL = "sqlite:///ledger.db"
CONNECT_TIMEOUT_SECONDS = 10


def sqlite_lock_path(name: str) -> str:
    """The file whose ``flock`` serialises the writers of the SQLite database ``name``."""
    return f"{name}.lock"


@dataclass(frozen=True, slots=True)
class Database:
    """A parsed ``LEDGER_DATABASE_URL``: the library environment and the writer lock to use;
    with ``LEDGER_CIPHER_KEY``, the key that encrypts it at rest (storage.cipher)."""

    url: str
    env: dict[str, str] = field(repr=False)
    lock_path: str | None
    is_postgres: bool
    cipher_key: str | None = field(default=None, repr=False)


def redacted_url(url: str) -> str:
    """``url`` with its password hidden, for messages.

    The user information ends at the *last* ``@`` of the text, so a password holding an
    unencoded ``/``, ``@``, ``:`` or ``%`` is hidden whole, however the URL parser would read it.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"


def scrubbed(text: str, url: str) -> str:
    """``text`` (an error message, say) with the URL and every form of its password hidden."""
    text = text.replace(url, redacted_url(url))
    _, sep, rest = url.partition("://")
    if sep and "@" in rest:
        password = rest.rpartition("@")[0].partition(":")[2]
        for secret in {password, unquote(password)}:
            if len(secret) >= 3:  # "***" itself, or a character that common, hides nothing
                text = text.replace(secret, "***")
    return text


def parse_database_url(url: str, cipher_key: str | None = None) -> Database:
    """Turn ``sqlite:///PATH`` or ``postgresql://user:pw@host:port/db[?schema=S]`` into settings,
    with the library's cipher turned on when a ``cipher_key`` is given.

    Errors never repeat the password nor the key (``ValueError`` with a redacted URL).
    """
    key = check_key(cipher_key) if cipher_key else None
    database = _parse(url)
    if key is None:
        return database
    env = {**database.env, **library_env(key)}
    return Database(url, env, database.lock_path, database.is_postgres, key)


def _parse(url: str) -> Database:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path or "\x00" in path:
            raise ValueError(f"bad SQLite URL {redacted_url(url)!r}: expected sqlite:///PATH")
        memory = path == ":memory:"
        env = {
            "PERSISTENCE_MODULE": "storage.sqlite:LedgerSQLiteFactory",
            "SQLITE_DBNAME": "file:ledger?mode=memory&cache=shared" if memory else path,
            "APPLICATION_RECORDER_TOPIC": "storage.sqlite:LedgerSQLiteRecorder",
            "SQLITE_LOCK_TIMEOUT": "30",
        }
        return Database(url, env, None if memory else sqlite_lock_path(path), False)
    if parsed.scheme in ("postgresql", "postgres"):
        try:
            port = parsed.port
        except ValueError:
            raise ValueError(
                f"bad PostgreSQL URL {redacted_url(url)!r}: the port is not a number (a password "
                "holding '/', '@', ':' or '%' must be percent-encoded, e.g. '/' as %2F)"
            ) from None
        query = parse_qs(parsed.query)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
            "APPLICATION_RECORDER_TOPIC": "storage.postgres:LedgerPostgresRecorder",
            "POSTGRES_LOCK_TIMEOUT": "30",
            # Seconds to wait for a connection (the library's default, 30, makes a mistyped
            # host or port look like a hang).
            "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
            # One connection opened at start, up to five on demand: the library's default opens
            # five at once in every process (an API with its workers, a projection worker and
            # a few imports reached a server's limit of 100 connections).
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": "4",
            # The library's stored-function insert path skips the hook that writes our keys.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
        }
        return Database(url, env, None, True)
    raise ValueError(
        f"unsupported database URL {redacted_url(url)!r}: use sqlite:///PATH or postgresql://…"
    )


def database_files(database: Database) -> list[str]:
    """The files of a SQLite database (with its WAL, shared memory, journal and lock files)."""
    if database.is_postgres or database.lock_path is None:
        return []
    name = database.env["SQLITE_DBNAME"]
    return [name, f"{name}-wal", f"{name}-shm", f"{name}-journal", database.lock_path]
