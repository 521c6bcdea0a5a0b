"""What a recording keeps of the console's own messages: the reason, never where or how.

A status line says "connection refused at http://prometheus.internal:9090" on screen; the
recording (a file that travels into tickets) keeps "connection refused at <url>", and
every credential form the settings know is scrubbed from it, in case a server echoed one
into an error. Figures and names from the sources are kept as the screen showed them.
No Textual here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from console.model import ClusterReading
from console.record.frames import Frame
from console.text.scrub import without_urls


def private_frame(frame: Frame, scrub: Callable[[str], str]) -> Frame:
    """The frame with its status error, cluster notes and action line free of URLs and
    credentials."""

    def clean(text: str) -> str:
        return scrub(without_urls(text))

    status = frame.status
    if status is not None and status.error:
        status = dataclasses.replace(status, error=clean(status.error))
    reading = frame.reading
    if isinstance(reading, ClusterReading) and reading.notes:
        reading = dataclasses.replace(reading, notes=tuple(clean(n) for n in reading.notes))
    action = frame.action
    if action is not None:  # an action's result may quote the server's error
        action = {k: clean(v) if isinstance(v, str) else v for k, v in action.items()}
    if status is frame.status and reading is frame.reading and action is frame.action:
        return frame
    return dataclasses.replace(frame, status=status, reading=reading, action=action)
