"""PUT (update) for the emulator, as the API server does it: optimistic concurrency.

An update names the resourceVersion it was made from; when the stored object has moved
on, the answer is 409 Conflict with the API's own message and nothing is stored. An
update without a resourceVersion is refused with 422 here (the real server accepts it
as an unconditional overwrite: the console must never send one, so a test notices).
"""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]


def update(emu: Any, key: tuple[str, str, str], ns: str, name: str,
           body: Any) -> tuple[int, Obj]:
    """(status, body) of a PUT of `body` over the stored object `key`/`ns`/`name`."""
    from tests.stack.kube_emulator import status_body

    kind = key[2]
    meta = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(meta, dict) or meta.get("name") != name:
        return 400, status_body(400, "BadRequest", "the name of the object does not match")
    sent = meta.get("resourceVersion")
    if not sent:
        return 422, status_body(422, "Invalid", f"{kind} {name!r}: metadata.resourceVersion: "
                                "Required value (the emulator refuses blind overwrites)")
    with emu._cond:
        store = emu._objects[key]
        old = store[(ns, name)]
        if str(sent) != old["metadata"]["resourceVersion"]:
            return 409, status_body(
                409, "Conflict",
                f'Operation cannot be fulfilled on {kind} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
                {"name": name, "kind": kind})
        new = copy.deepcopy(body)
        new["metadata"] = {**old["metadata"], **{k: v for k, v in meta.items()
                                                 if k in ("labels", "annotations")}}
        new["metadata"]["resourceVersion"] = str(emu._next_rv())
        store[(ns, name)] = new
        emu._record_change(key, "MODIFIED", new, old)
        return 200, copy.deepcopy(new)
