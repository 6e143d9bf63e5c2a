"""The retently-oauth generator: JSON Schema to attrs classes and a cattrs converter (a development tool)."""
