"""Where features meet: may pip take this candidate?

pip lists candidates that a feature may still refuse once it looks closer (a variant wheel
is taken only if this machine supports it, which is known once its release is judged).
Another feature that chooses among pip's candidates (index groups: does this group have a
candidate that will really be used?) asks here, without knowing which features answer.

A feature registers its check when its patch module is imported; a check counts only while
that feature's patch set is live. Checks may do work (judge a release), so callers ask
about candidates in the order pip's resolver would reach them, and stop at the first one
taken.
"""

from __future__ import annotations

from typing import Any, Callable

from wheelnext_pip import _state

#: ``check(candidate)``: False if the feature would never let pip use this candidate.
CandidateCheck = Callable[[Any], bool]

_CHECKS: dict[str, CandidateCheck] = {}


def register(feature: str, check: CandidateCheck) -> None:
    """Declare ``feature``'s check (one per feature; registering again replaces it)."""
    _CHECKS[feature] = check


def may_take(candidate: Any) -> bool:
    """Whether every live feature lets pip use this candidate."""
    return all(
        check(candidate) for feature, check in _CHECKS.items() if _state.STATE.is_live(feature)
    )
