"""Event states packed small: raw deflate against a preset dictionary of the ledger's own words.

An event's state, as the transcoder writes it, is JSON of about 370 bytes in which most bytes
are the same in every event: the field names, the date tags, ``"ref":null,"note":null``. Raw
deflate primed with a dictionary of those words (``DICTIONARY_1``) stores the demo city's
events in about 100 bytes each (zlib alone: about 220).

A packed state is the byte ``0x01`` followed by the deflate stream; a JSON text never starts
with it (it starts with ``{``). ``unpack`` returns a state that does not start with it as it
is, so the logs written before packing existed still read, and their chain links (which hash
the unpacked JSON, storage.chain) are the same. A state that packing would not shrink is stored
as plain JSON. The dictionary is part of the stored format and never changes: a better one
would need another first byte, and ``unpack`` would keep reading both.
"""

from __future__ import annotations

import zlib

PACKED_1 = 0x01
"""The first byte of a state packed with ``DICTIONARY_1``."""

_WINDOW_BITS = 12
"""Raw deflate (negative window bits) over a 4 KiB window: the dictionary and a usual event
fit in it, and a smaller window makes each compressor cheaper to set up (about 20 µs a state,
against 60 µs with the default 32 KiB). Inflating takes any window up to 32 KiB."""

_OCCUPATIONS = (
    "enterprise",
    "student",
    "contract_or_freelance",
    "farmer",
    "civil_servant",
    "armed_forces",
    "teacher_or_health",
    "retired",
    "other",
)

# The most frequent words come last: deflate codes a nearer match in fewer bits.
DICTIONARY_1 = "".join(
    (
        '"note":"',
        '"ref":"',
        '"reason":"',
        '"fact":"',
        '"card":"',
        '"recorded_by":"cli:',
        '"recorded_by":"http:',
        '"recorded_by":"web:',
        '"from_external":"',
        '"admitted_on":"',
        '"standing":"probationary"',
        '"standing":"official"',
        '"to_external":"',
        '{"org":"',
        '","count":',
        '","name":"',
        '","parent":null}',
        '","parent":"',
        '"originator_topic":"ledger.organization:Organization",',
        *(f'"occupation":"{name}"' for name in _OCCUPATIONS),
        '"youth_union":false,',
        '"private_business_owner":true,',
        '"population_policy_violation":true,',
        '"gender":"female","birth_date":"19',
        '"gender":"male","birth_date":"19',
        '"originator_topic":"ledger.member:Member",',
        '"org":"',
        '","to_org":"',
        '"person":{"name":"',
        '"},"youth_union":true,',
        ',"years":',
        '"},"ref":null,"note":null,"recorded_by":null,"member":"',
        '{"timestamp":{"_type_":"datetime","_data_":"20',
        '+00:00"},"fact_id":"',
        '"},"on":{"_type_":"date","_data_":"',
        '"},"recorded_at":{"_type_":"datetime","_data_":"20',
        'T09:00:00+07:00"},"data":{"member":"',
        '"},"ref":null,"note":null,"recorded_by":null}',
    )
).encode()


def pack(text: bytes) -> bytes:
    """The stored form of the transcoder's JSON ``text``: packed, unless that is no shorter."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -_WINDOW_BITS, 8, zlib.Z_DEFAULT_STRATEGY,
                              DICTIONARY_1)  # fmt: skip
    packed = packer.compress(text) + packer.flush()
    if len(packed) + 1 >= len(text):
        return text
    return bytes((PACKED_1,)) + packed


def unpack(state: bytes) -> bytes:
    """The transcoder's JSON of a stored state, packed (``pack``) or written before packing."""
    if not state or state[0] != PACKED_1:
        return state
    unpacker = zlib.decompressobj(-15, DICTIONARY_1)
    text = unpacker.decompress(memoryview(state)[1:]) + unpacker.flush()
    if not unpacker.eof:
        raise ValueError("a packed event state ends before its deflate stream does")
    return text
