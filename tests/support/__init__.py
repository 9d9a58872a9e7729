"""Helpers the tests share (fixtures and clients), one package."""
