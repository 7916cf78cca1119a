"""Analyses of the plan: what the land holds, where people and jobs go, who is served."""
