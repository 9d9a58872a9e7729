"""Tests of models/offline/: the offline pack."""
