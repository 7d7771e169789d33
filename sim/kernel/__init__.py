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

import numba

from sim.kernel._cache import cache_dir, remove_stale

# Compiled functions cache into a folder per source version (see _cache.py); numba
# picks the folder when a function is decorated, so it is set only while the
# kernel's modules are imported.
_CACHE = cache_dir()
_previous = numba.config.CACHE_DIR
numba.config.CACHE_DIR = str(_CACHE)
try:
    from sim.kernel.layout import SERIES, State
    from sim.kernel.mechanisms import run, step
    from sim.kernel.state import new_state
finally:
    numba.config.CACHE_DIR = _previous
remove_stale(_CACHE)

__all__ = ["SERIES", "State", "new_state", "run", "step"]
