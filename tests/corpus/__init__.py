"""The generator against third-party JSON Schemas (`nox -s corpus`)."""
