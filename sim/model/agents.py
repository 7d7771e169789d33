"""Alliance members as Mesa agents.

A member's state lives in the model's kernel arrays; its attributes read from
them when asked, so a member costs nothing per step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent

if TYPE_CHECKING:
    from sim.model.model import AllianceModel


class Member(CellAgent):
    """One organisation in the alliance, placed on its node of the alliance network.

    Attributes are views of the model's arrays: ``trust`` (partner id -> trust),
    ``values`` (core values, strategic orientation), ``capacity``, ``awareness``,
    ``pole``, ``leadership_share``, plus ``index`` (its row in the arrays) and
    ``faction``.
    """

    model: AllianceModel

    def __init__(self, model: AllianceModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.cell = model.network[index]

    @property
    def _state(self):
        return self.model.kernel_state

    @property
    def capacity(self) -> float:
        """Operating capacity in (0, 1]."""
        return float(self._state.capacity[self.index])

    @property
    def awareness(self) -> float:
        """Change awareness in [0, 1]."""
        return float(self._state.awareness[self.index])

    @property
    def pole(self) -> float:
        """Preferred side of the alliance's central tension (0 stabilise, 1 transform)."""
        return float(self._state.pole[self.index])

    @property
    def leadership_share(self) -> float:
        """Share of the alliance's leadership this member holds."""
        return float(self._state.share[self.index])

    @property
    def reach(self) -> float:
        """How much leadership reaches this member this month, in [0, 1]."""
        return float(self._state.reach[self.index])

    @property
    def values(self) -> np.ndarray:
        """Core values and strategic orientation, each in [0, 1] (a copy)."""
        return self._state.values[self.index].copy()

    @property
    def faction(self) -> int:
        """The faction the member founded the alliance in."""
        return int(self._state.faction[self.index])

    @property
    def active(self) -> bool:
        """Whether the member is still in the alliance."""
        return bool(self._state.active[self.index])

    @property
    def performance(self) -> float:
        """This month's performance U of the member."""
        return float(self._state.performance[self.index])

    @property
    def trust(self) -> dict[int, float]:
        """Trust toward each current partner, keyed by the partner's ``unique_id``."""
        state = self._state
        ids = self.model.member_ids
        out = {}
        for edge in range(state.first[self.index], state.first[self.index + 1]):
            if state.live[edge]:
                out[ids[state.dst[edge]]] = float(state.trust[edge])
        return out

    def __repr__(self) -> str:
        return f"Member(index={self.index}, capacity={self.capacity:.2f}, active={self.active})"
