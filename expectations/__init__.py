"""Great Expectations: suites derived from the data contracts, the custom domain expectations, inbound
validation of each night's batches and the holds that keep a failing night out of staging."""
