"""Generators and the statement runner of the bad-input campaign (tests/python/test_fuzz.py)."""
