"""Analyses of a plan's layers: areas, proximity, network, accessibility and more; they return data, write nothing."""
