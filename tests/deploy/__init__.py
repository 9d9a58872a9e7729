"""Tests of deploy/: the launcher and the notebook scripts."""
