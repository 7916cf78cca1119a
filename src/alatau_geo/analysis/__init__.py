"""Analyses over the plan: each returns named, index-aligned data and writes nothing."""
