"""The ``alliance-sim`` command line (:func:`main`); one module per group of commands."""

from sim.cli.main import main

__all__ = ["main"]
