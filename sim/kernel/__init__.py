"""The alliance's state arrays and the monthly step, compiled with numba.

The kernel knows nothing of Mesa, files or the command line. Both faces of the
model call the same compiled functions: :class:`sim.model.AllianceModel` calls
:func:`step` once per month, :func:`sim.simulate.simulate` calls :func:`run`
for a whole run, so both give bit-identical results for the same seed.

Modules:
    layout: indices into the state's scalar arrays and the recorded series.
    network: drawing the founding ties and open triads.
    state: allocating and initialising a run's state.
    mechanisms: one function per mechanism of the step, in step order.
    outcomes: episodes, fragmentation and the outcome class.
"""

from sim.kernel._cache import ensure_fresh_cache

ensure_fresh_cache()

from sim.kernel.layout import SERIES, State  # noqa: E402
from sim.kernel.mechanisms import run, step  # noqa: E402
from sim.kernel.state import new_state  # noqa: E402

__all__ = ["SERIES", "State", "new_state", "run", "step"]
