"""`u`: which revision to roll back to, and the pod-template diff the confirmation shows.

The revisions are read through the action's bound sources when the key is pressed
(`kubectl rollout history`), the previous one is preselected (what `kubectl rollout
undo` would pick), and the choice comes back with the diff from the running template
to the chosen one. The write itself is the source's (`rollback`, one JSON patch).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from console.actions.runner import BoundAction
from console.screens.revisions import RevisionScreen
from console.sources import kube_rollout
from console.sources.base import ActionError

Ask = Callable[[RevisionScreen], Awaitable[int | None]]


async def choose(action: BoundAction, ask: Ask, now: float) -> BoundAction | None:
    """The action with its revision and diff filled in; None when the picker was escaped."""
    deployment = action.target.deployment
    try:
        revisions = await action.sources.cluster.rollout_history()
    except ActionError as exc:
        raise ActionError(f"cannot read the revisions of deployment {deployment}: {exc}") from None
    previous = kube_rollout.previous(revisions)
    if previous is None:
        raise ActionError(f"no rollout history found for deployment {deployment}: "
                          "nothing to roll back to")
    number = await ask(RevisionScreen(deployment, revisions, previous.number, now))
    if number is None:
        return None
    chosen = next(r for r in revisions if r.number == number)
    running = next((r for r in revisions if r.current), revisions[0])
    diff = kube_rollout.template_diff(running.template, chosen.template)
    return action.with_request(replace(action.request, revision=number, detail=diff))
