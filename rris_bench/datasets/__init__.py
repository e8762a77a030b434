"""Datasets: the in-memory model every benchmark is read into, its readers, and the checks on what they read."""
