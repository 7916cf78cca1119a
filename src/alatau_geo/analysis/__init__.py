"""Analyses over the plan: each returns named, index-aligned results and writes nothing."""
