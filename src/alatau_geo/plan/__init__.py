"""The plan: the plan file, construction rules, districts and calibration, infrastructure catalogues and placement."""
