"""Reference code the Show code panels print by its source: the code a user copies is the code that ran."""
