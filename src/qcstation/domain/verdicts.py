"""The verdict as people read it: the inspection's own, settled by a supervisor's review.

An inspection completed as needs review keeps that verdict in its signed record forever;
the supervisor's decision is a separate row. What History, the inspection view, reports
and certificates show is the two together, derived here and nowhere else, so a reviewed
inspection reads ACCEPTED ON REVIEW on every screen and every paper.
"""

from __future__ import annotations

from enum import Enum

from qcstation.domain.inspections import Decision, Verdict


class FinalVerdict(str, Enum):
    """One ASCII letter each: the letter is what a certificate's QR code carries."""

    PASS = "P"
    FAIL = "F"
    NEEDS_REVIEW = "R"  # completed as needs review, not decided yet
    ACCEPTED = "A"  # needs review, accepted by a supervisor
    REJECTED = "X"  # needs review, rejected by a supervisor

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def passing(self) -> bool:
        """A customer may be told the piece passed."""
        return self in (FinalVerdict.PASS, FinalVerdict.ACCEPTED)


_LABELS = {
    FinalVerdict.PASS: "PASS",
    FinalVerdict.FAIL: "FAIL",
    FinalVerdict.NEEDS_REVIEW: "NEEDS REVIEW",
    FinalVerdict.ACCEPTED: "ACCEPTED ON REVIEW",
    FinalVerdict.REJECTED: "REJECTED ON REVIEW",
}


def final_verdict(verdict: Verdict | None, decision: Decision | str | None) -> FinalVerdict | None:
    """The verdict settled by the review, if any; None while the inspection has none."""
    if verdict is None:
        return None
    if verdict is Verdict.NEEDS_REVIEW and decision is not None:
        accepted = Decision(decision) is Decision.ACCEPTED
        return FinalVerdict.ACCEPTED if accepted else FinalVerdict.REJECTED
    return {
        Verdict.PASS: FinalVerdict.PASS,
        Verdict.FAIL: FinalVerdict.FAIL,
        Verdict.NEEDS_REVIEW: FinalVerdict.NEEDS_REVIEW,
    }[verdict]


def shown(verdict: Verdict | None, decision: Decision | str | None, status: str = "") -> str:
    """The words a screen shows in a verdict column or heading: the settled verdict, or
    the inspection's state ("in progress") while it has none."""
    final = final_verdict(verdict, decision)
    if final is not None:
        return final.label
    return status.replace("_", " ").upper()
