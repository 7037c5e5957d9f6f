"""MAN qualification (D6): the tactic for each combination of Money, Authority and Need."""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- MAN qualification


@dataclass(frozen=True)
class ManAssessment:
    """MAN qualification: the code (capital = present) and the D6 tactic for it."""

    code: str
    action: str

    @property
    def tactic_key(self) -> str:
        """The i18n key of the tactic text."""
        return f"man.tactic.{self.action}"


MAN_ACTIONS = {
    "MAN": "pursue",
    "MAn": "develop_need",
    "MaN": "find_authority",
    "mAN": "check_credit",
    "maN": "nurture",
    "mAn": "nurture",
    "Man": "nurture",
    "man": "stop",
}


def man_assessment(money: bool | None, authority: bool | None, need: bool | None) -> ManAssessment | None:
    """The D6 tactic for a MAN combination; None until all three are assessed."""
    if money is None or authority is None or need is None:
        return None
    code = ("M" if money else "m") + ("A" if authority else "a") + ("N" if need else "n")
    return ManAssessment(code, MAN_ACTIONS[code])
