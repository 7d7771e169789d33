"""Figures for papers: the style (:mod:`.style`), plots on matplotlib Axes (:mod:`.plots`)
and the one-command report of a results store (:mod:`.report`)."""
