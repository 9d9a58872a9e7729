"""Helpers the tests share (servers, clients, fixtures' building blocks)."""
