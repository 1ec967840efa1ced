"""Needs surveys: a trainer asks the riders of an organisation what they need."""
