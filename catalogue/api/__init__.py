"""The REST API (/api/v1/): thin views over catalogue selectors and services."""
