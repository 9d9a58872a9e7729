"""Shared test helpers: one package for the tests and the benchmark."""
