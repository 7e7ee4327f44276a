"""The soak run's plugin (``benchmarks/soak.py`` builds it into a wheel at start-up)."""
