"""Tests of models/: the model layer."""
