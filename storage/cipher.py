"""Encryption at rest (``LEDGER_CIPHER_KEY``): the key, the text cipher of the read models, and
the record of whether a ledger is encrypted.

Events are encrypted by the eventsourcing library itself: its mapper runs the stored state
through ``eventsourcing.cryptography:AESCipher`` (AES-GCM, the ``cryptography`` package) when
the application's environment names it (``CIPHER_TOPIC`` and ``CIPHER_KEY``, set by
``storage.urls.parse_database_url``). The read models' person columns (member names, the
quarantine details that may quote a birth date) are encrypted with the same key, in the same
AES-GCM format, as base64 text (``TextCipher``).

Whether a ledger is encrypted is written down in ``ledger_meta`` (row ``encryption``: ``aes-gcm``,
and ``key_check``: a constant encrypted under the key), so that a ledger opened without its key,
or with another one, is refused before anything is read or written, and a ledger holding clear
events is never extended with encrypted ones (docs/reliability.md, encryption at rest).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
from base64 import b64decode
from collections.abc import Mapping

CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"
"""The library's AES-GCM cipher on the ``cryptography`` package (its default topic names the
PyCryptodome one, which the ledger does not install)."""
KEY_BYTES = 32
"""``ledger key new`` makes AES-256 keys; the cipher also takes 16- and 24-byte keys."""
ENCRYPTED = "aes-gcm"
"""The ``encryption`` row's value in an encrypted ledger (no row: a clear ledger)."""
KEY_CHECK_TEXT = "ledger key check"
"""The constant whose encryption, stored in ``key_check``, tells the right key from a wrong one."""
META_TABLE = "ledger_meta"


class EncryptionRefused(Exception):
    """The key given does not fit the ledger (missing, wrong, or a clear ledger's events)."""


def check_key(key: str) -> str:
    """``key`` once it is base64 of 16, 24 or 32 bytes; ValueError (never quoting it) else."""
    try:
        raw = b64decode(key.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(
            "LEDGER_CIPHER_KEY is not base64 (make one with 'ledger key new')"
        ) from None
    if len(raw) not in (16, 24, 32):
        raise ValueError(
            f"LEDGER_CIPHER_KEY holds {len(raw)} bytes; an AES key has 16, 24 or 32 "
            "(make one with 'ledger key new')"
        )
    return key.strip()


def new_key() -> str:
    """A fresh random AES-256 key, base64-encoded (what ``LEDGER_CIPHER_KEY`` takes)."""
    from eventsourcing.cryptography import AESCipher

    return AESCipher.create_key(KEY_BYTES)


def library_env(key: str | None) -> dict[str, str]:
    """The library's settings that turn its cipher on (none without a key)."""
    return {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": key} if key else {}


class TextCipher:
    """AES-GCM over text, in the library cipher's format (12-byte random nonce, 16-byte tag,
    ciphertext), base64 in the column.

    Built on ``cryptography`` directly rather than on the library's ``AESCipher``: a reading
    command on up-to-date read models must not load the event-sourcing library (start-up), and
    a search decrypts every name, so the AES context is made once, not once per text.
    """

    def __init__(self, key: str) -> None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aes = AESGCM(b64decode(key))
        self._invalid_tag = InvalidTag

    def seal(self, text: str) -> str:
        """``text`` encrypted, as base64."""
        nonce = os.urandom(12)
        sealed = self._aes.encrypt(nonce, text.encode("utf-8"), None)
        return binascii.b2a_base64(nonce + sealed[-16:] + sealed[:-16], newline=False).decode()

    def unseal(self, sealed: str) -> str:
        """The text ``seal`` encrypted; ValueError when it was sealed under another key."""
        raw = binascii.a2b_base64(sealed)  # base64's C core: a search unseals every name
        if len(raw) < 28:
            raise ValueError("damaged ciphertext")
        try:
            plain = self._aes.decrypt(raw[:12], raw[28:] + raw[12:28], None)
        except self._invalid_tag:
            raise ValueError("not encrypted under this key") from None
        return plain.decode("utf-8")


class DigestKey:
    """Keyed content digests for ``ledger_facts`` (HMAC-SHA256 under a key derived from the
    cipher key): equal facts still have equal digests, but no one without the key can test a
    guess of a fact's content (a name, a birth date) against the column."""

    def __init__(self, key: str) -> None:
        raw = b64decode(key)
        self._key = hmac.new(raw, b"ledger_facts.digest", hashlib.sha256).digest()

    def digest(self, content_digest: str) -> str:
        """The keyed form of a fact's SHA-256 content digest (hex)."""
        return hmac.digest(self._key, content_digest.encode("ascii"), "sha256").hex()


def key_check(cipher: TextCipher) -> dict[str, str]:
    """The ``ledger_meta`` rows of a ledger encrypted under ``cipher``'s key."""
    return {"encryption": ENCRYPTED, "key_check": cipher.seal(KEY_CHECK_TEXT)}


def verdict(meta: Mapping[str, str], cipher: TextCipher | None, log_empty: bool) -> str | None:
    """Why the ledger (its ``ledger_meta`` rows, its log empty or not) cannot be opened with
    ``cipher`` (None: no key), or None when it can.

    An empty log takes whatever the opener brings: nothing is stored yet either way.
    """
    encrypted = meta.get("encryption") == ENCRYPTED
    if log_empty:
        return None
    if encrypted and cipher is None:
        return (
            "this ledger's events are encrypted: set LEDGER_CIPHER_KEY to its key "
            "(docs/operations.md, encryption at rest)"
        )
    if encrypted and cipher is not None:
        try:
            right = cipher.unseal(meta.get("key_check", "")) == KEY_CHECK_TEXT
        except (ValueError, binascii.Error):
            right = False
        if not right:
            return (
                "LEDGER_CIPHER_KEY is not the key this ledger was encrypted with "
                "(nothing was read or written)"
            )
        return None
    if cipher is not None:
        return (
            "this ledger holds events stored in clear: LEDGER_CIPHER_KEY cannot be turned on "
            "for it (that would mix clear and encrypted events); unset it, or export the log and "
            "import it into a new database with the key (docs/operations.md, key rotation)"
        )
    return None


def wanted_meta(meta: Mapping[str, str], cipher: TextCipher | None) -> dict[str, str] | None:
    """The ``ledger_meta`` rows a writer sets on an empty log to match its key, or None when
    the rows already match (a clear ledger has none)."""
    encrypted = meta.get("encryption") == ENCRYPTED
    if cipher is None:
        return {} if encrypted or meta else None
    if encrypted and verdict(meta, cipher, log_empty=False) is None:
        return None
    return key_check(cipher)
