"""The arithmetic of ABC-SMC: proposals, the perturbation kernel, weights, tolerances.

Approximate Bayesian computation by sequential Monte Carlo (Toni et al. 2009) with the
importance weights of Beaumont et al. (2009). Generation 0 draws its candidates from the
prior. Generation g > 0 draws each candidate by picking a particle of generation g - 1
by its weight and moving it with a Gaussian kernel whose covariance is twice the
weighted covariance of generation g - 1 (Beaumont et al. 2009); a move that leaves the
prior is drawn again before anything is simulated. An accepted particle's weight is
``prior(theta) / sum_j w_j K(theta | theta_j)``, normalised.

The sampler works in coordinates where every prior is uniform on a box: the parameter
itself, or its logarithm for a log-uniform prior, so the prior's density is one constant
inside the box. Every draw comes from the candidate's own generator
(:func:`~sim.experiment.seeds.proposal_generator`), so the proposals do not depend on
the order in which candidates are simulated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_DRAWS = 10_000
"""Most moves drawn for one candidate before it is given up as outside the prior."""


@dataclass(frozen=True)
class Population:
    """One generation's accepted particles.

    Attributes:
        z: the particles in the sampler's coordinates, shape ``(n, d)``.
        weights: their normalised importance weights, shape ``(n,)``.
        distances: their distances.
        candidates: the candidate each particle was, in order of acceptance.
    """

    z: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    candidates: np.ndarray

    @property
    def size(self) -> int:
        """Particles in the population."""
        return len(self.weights)

    @property
    def ess(self) -> float:
        """The effective sample size, ``1 / sum w^2``."""
        return float(1.0 / np.sum(self.weights**2))


@dataclass(frozen=True)
class Proposal:
    """A candidate's parameters in the sampler's coordinates.

    Attributes:
        z: the coordinates (None when no move stayed inside the prior).
        parent: the particle it moved (-1 for a draw from the prior).
        draws: moves drawn until one stayed inside the prior.
    """

    z: np.ndarray | None
    parent: int
    draws: int


def inside(z: np.ndarray, bounds: np.ndarray) -> bool:
    """Whether coordinates ``z`` lie inside the prior's box ``bounds`` (shape ``(d, 2)``)."""
    return bool(np.all((z >= bounds[:, 0]) & (z <= bounds[:, 1])))


def from_prior(rng: np.random.Generator, bounds: np.ndarray) -> Proposal:
    """A draw from the prior (uniform on the box)."""
    low, high = bounds[:, 0], bounds[:, 1]
    return Proposal(low + (high - low) * rng.random(len(bounds)), -1, 1)


class Kernel:
    """The perturbation kernel of one generation: a Gaussian with twice the weighted
    covariance of the previous generation's particles, around each of them."""

    def __init__(self, previous: Population, bounds: np.ndarray) -> None:
        self.previous = previous
        d = previous.z.shape[1]
        if previous.size > 1:
            covariance = np.atleast_2d(np.cov(previous.z, rowvar=False, aweights=previous.weights))
        else:
            covariance = np.zeros((d, d))
        covariance = 2.0 * covariance
        # a population that collapsed onto one value still moves a little
        width = bounds[:, 1] - bounds[:, 0]
        covariance[np.diag_indices(d)] += (1e-9 * width) ** 2
        self.covariance = covariance
        self.cholesky = np.linalg.cholesky(covariance)
        self.log_norm = -0.5 * d * math.log(2 * math.pi) - float(
            np.sum(np.log(np.diag(self.cholesky)))
        )

    def propose(self, rng: np.random.Generator, bounds: np.ndarray) -> Proposal:
        """Pick a particle by weight and move it; again until the move stays inside the
        prior (at most :data:`MAX_DRAWS` times)."""
        p = self.previous
        for draw in range(1, MAX_DRAWS + 1):
            parent = int(rng.choice(p.size, p=p.weights))
            z = p.z[parent] + self.cholesky @ rng.standard_normal(p.z.shape[1])
            if inside(z, bounds):
                return Proposal(z, parent, draw)
        return Proposal(None, -1, MAX_DRAWS)

    def density(self, z: np.ndarray) -> np.ndarray:
        """The kernel's mixture density ``sum_j w_j K(z | z_j)`` at each row of ``z``."""
        p = self.previous
        out = np.empty(len(z))
        for start in range(0, len(z), 256):
            block = z[start : start + 256]
            diff = block[:, None, :] - p.z[None, :, :]
            solved = np.linalg.solve(self.cholesky, diff.reshape(-1, diff.shape[2]).T)
            squares = np.sum(solved**2, axis=0).reshape(len(block), p.size)
            out[start : start + 256] = np.exp(self.log_norm - 0.5 * squares) @ p.weights
        return out


def importance_weights(z: np.ndarray, kernel: Kernel | None) -> np.ndarray:
    """Normalised weights of accepted particles ``z``: uniform in generation 0 (drawn from
    the prior), else the prior's density (one constant inside the box) over the kernel's."""
    if kernel is None:
        return np.full(len(z), 1.0 / len(z))
    raw = 1.0 / kernel.density(z)
    return raw / raw.sum()


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight (values in increasing order) reaches ``q``."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))
    return float(values[order][min(index, len(values) - 1)])


def next_tolerance(previous: Population, quantile: float, floor: float) -> float:
    """Generation g's tolerance: the weighted ``quantile`` of generation g - 1's distances
    (pyabc's ``MedianEpsilon`` for 0.5), never below the final tolerance ``floor``."""
    return max(weighted_quantile(previous.distances, previous.weights, quantile), floor)


def weighted_summary(
    values: np.ndarray, weights: np.ndarray, levels: Sequence[float] = (0.5, 0.05, 0.95)
) -> list[float]:
    """Weighted quantiles of ``values`` at ``levels`` (median and the 90% interval)."""
    return [weighted_quantile(values, weights, level) for level in levels]
