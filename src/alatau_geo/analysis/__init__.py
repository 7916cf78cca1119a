"""Analyses of a plan's layers: areas, proximity, network, accessibility and the ones built on them. They return results and write nothing."""
