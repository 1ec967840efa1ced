"""Stations (the places riders rest and train) and the training sessions held there."""
