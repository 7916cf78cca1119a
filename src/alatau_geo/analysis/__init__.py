"""Analyses on the reference layers and the plan: each returns data and writes nothing."""
