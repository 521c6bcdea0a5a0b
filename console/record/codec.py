"""The value codec of recordings: model dataclasses to plain JSON and back, exactly.

Unlike `model.to_json` (the public contract) this keeps every field the screen
needs, internal ones included (p50/p99, errors by type/code, pod uid, conditions,
fingerprints, silence ids, events), keeps datetimes at full precision and leaves
out fields equal to their default, which is what makes a recording compact.
Decoding is driven by the type hints and cleans every string as an answer from a
server is cleaned (a recording comes from outside too). No Textual here.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Union

from console.model import Snapshot
from console.text.safe_text import NOTE_LIMIT, clean_line, json_escape


def encode(value: Any) -> Any:
    """A model value as plain JSON types, internal fields included, defaults left out.

    Unlike `model.to_json` (the public contract) this keeps everything the screen
    needs and keeps datetimes at full precision, so `decode(encode(x)) == x` — but for the
    fields marked `unrecorded` (an alert's raw label values), which stay out of recordings.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            # A source's raw label values are for silences only: a replay cannot silence.
            if not f.metadata.get("unrecorded") and not _is_default(f, v):
                out[f.name] = encode(v)
        return out
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value):
            return {k: encode(v) for k, v in value.items()}
        return [[encode(k), encode(v)] for k, v in value.items()]  # tuple keys (ModelKey)
    if isinstance(value, (tuple, list, deque)):
        return [encode(v) for v in value]
    raise TypeError(f"cannot record a {type(value).__name__}")


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        return False
    # Strict: 0 must not pass for False, nor 0.0 for a None default.
    return (type(value) is type(default) and value == default) or (
        isinstance(default, Mapping) and isinstance(value, Mapping) and not value and not default
    )


_HINTS: dict[type, dict[str, Any]] = {}


def hints_of(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def decode(tp: Any, data: Any) -> Any:
    """Rebuild a value of type `tp` from `encode`'s output, driven by the type hints.

    Written once over dataclass fields, so a field added to console/model.py is
    recorded and replayed without touching this module. Raises ValueError on data
    that does not fit the type (a corrupt or foreign file).
    """
    if tp is Any:
        return data
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return decode(arg, data)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors) or f"null where {tp} is expected")
    if tp is bool:
        if isinstance(data, bool):
            return data
    elif tp is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
    elif tp is float:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return float(data)
    elif tp is str:
        if isinstance(data, str):
            return clean_line(data, NOTE_LIMIT)  # a file from outside, like an answer
    elif tp is datetime:
        if isinstance(data, str):
            return datetime.fromisoformat(data)
    elif origin is tuple:
        args = typing.get_args(tp)
        if isinstance(data, list):
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(decode(args[0], d) for d in data)
            if len(args) == len(data):
                return tuple(decode(a, d) for a, d in zip(args, data, strict=True))
    elif origin in (Mapping, dict) or tp in (dict, Mapping):
        key_t, value_t = typing.get_args(tp) or (Any, Any)
        if isinstance(data, dict):
            return {decode(key_t, k): decode(value_t, v) for k, v in data.items()}
        if isinstance(data, list) and all(isinstance(p, list) and len(p) == 2 for p in data):
            return {decode(key_t, k): decode(value_t, v) for k, v in data}
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if isinstance(data, dict):
            hints = hints_of(tp)
            kwargs = {
                f.name: decode(hints[f.name], data[f.name])
                for f in dataclasses.fields(tp)
                if f.name in data
            }
            try:
                return tp(**kwargs)
            except TypeError as exc:  # a required field is missing
                raise ValueError(f"{tp.__name__}: {exc}") from None
    else:
        raise ValueError(f"cannot read a {tp}")
    raise ValueError(f"{type(data).__name__} where {getattr(tp, '__name__', tp)} is expected")


def dump_snapshot(snapshot: Snapshot) -> str:
    """One compact JSON line holding the whole Snapshot, internal fields included."""
    return json_escape(json.dumps(encode(snapshot), separators=(",", ":"), ensure_ascii=False))


def load_snapshot(text: str) -> Snapshot:
    value: Snapshot = decode(Snapshot, json.loads(text))
    return value

