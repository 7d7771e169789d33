"""The alliance's state arrays and the monthly step, compiled with numba.

The kernel knows nothing of Mesa, files or the command line. Both faces of the
model call the same compiled functions: :class:`sim.model.AllianceModel` calls
:func:`step` once per month, :func:`sim.model.simulate` calls :func:`run` for a
whole run, so both give bit-identical results for the same seed.

Modules, by what they act on (the step's order is in :mod:`sim.kernel.schedule`):
    layout: indices into the state's arrays (derived from :mod:`sim.names`).
    network, founding: drawing the founding ties, open triads and members.
    shocks: the environment's drift and the crises that arrive (step 1).
    leadership: leadership reach (2), drift and learning from crises (13).
    ties: cooperation, blame, trust and triadic closure (3-5).
    values: bounded confidence, anchoring, exploration (6).
    strategy: perceiving the demand, awareness, the effort split, the ambition (7-9).
    capacity: recovery, aid and performance (10-11).
    exits, membership: members leaving, leadership shares, termination (12).
    episodes: crisis episodes and the phase (what the observer measures).
    measures, outcomes: shared measures and the outcome class.
"""

from sim.kernel.cache import install as _install_cache

# Before any kernel function is decorated: the kernel's own cache locator.
_install_cache()

from sim.kernel.founding import new_state  # noqa: E402
from sim.kernel.layout import State  # noqa: E402
from sim.kernel.schedule import run, step  # noqa: E402

__all__ = ["State", "new_state", "run", "step"]
