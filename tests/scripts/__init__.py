"""Tests of scripts/: the generated docs are current."""
