"""Tests of cloud/: the boto3 backends the app calls."""
