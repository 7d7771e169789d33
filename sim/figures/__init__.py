"""Figures for papers: the style (:mod:`.style`), the labels and units of what they show
(:mod:`.labels`), plots on matplotlib Axes (:mod:`.plots`) and the one-command report of
a results store (:mod:`.report`)."""
