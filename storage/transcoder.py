"""How event state is written: orjson, with dates and date-times tagged, packed small
(storage.packing: deflate with a preset dictionary; states written before packing still read)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from eventsourcing.persistence import Transcoder

from storage.packing import pack, unpack


class OrjsonTranscoder(Transcoder):
    """Encodes event state with orjson; dates and date-times keep their Python types.

    The JSON is packed (``storage.packing.pack``); the hash chain links the unpacked JSON, so
    packing changes no link and no digest.
    """

    def encode(self, obj: Any) -> bytes:
        """Encode ``obj``; dates and date-times become tagged ISO strings."""
        return pack(orjson.dumps(obj, default=_tag, option=orjson.OPT_PASSTHROUGH_DATETIME))

    def decode(self, data: bytes) -> Any:
        """Decode bytes written by ``encode`` (or by its earlier, unpacked, version)."""
        return _untag(orjson.loads(unpack(data)))


def _tag(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return {"_type_": "datetime", "_data_": obj.isoformat()}
    if isinstance(obj, date):
        return {"_type_": "date", "_data_": obj.isoformat()}
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _untag(obj: Any) -> Any:
    kind = type(obj)
    if kind is dict:
        tag = obj.get("_type_")
        if tag is not None and len(obj) == 2:
            if tag == "date":
                return date.fromisoformat(obj["_data_"])
            if tag == "datetime":
                return datetime.fromisoformat(obj["_data_"])
        # Only containers are walked into: most values are plain strings and numbers.
        return {k: _untag(v) if type(v) is dict or type(v) is list else v for k, v in obj.items()}
    if kind is list:
        return [_untag(v) if type(v) is dict or type(v) is list else v for v in obj]
    return obj
