"""Great Expectations suites derived from the data contracts."""
