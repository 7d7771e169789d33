"""The patterns the model is judged by: calibration and validation targets (:mod:`.targets`)."""
