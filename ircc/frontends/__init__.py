"""Frontends: each builds IR (with locations) from a kind of program; none runs passes."""
