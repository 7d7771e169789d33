"""``alliance-sim bench``: speed and memory figures against the speed targets (:mod:`.run`)."""
