"""`python -m bench [--quick] [--rounds N] [--out FILE]`: see bench/run.py."""

from bench.run import main

raise SystemExit(main())
