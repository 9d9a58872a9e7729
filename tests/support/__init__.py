"""Helpers the tests share: launching the app, wire clients, fixtures and stand-ins (one package)."""
