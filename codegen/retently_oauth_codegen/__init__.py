"""The retently-oauth generator: JSON Schema -> attrs classes and a cattrs converter, through
datamodel-code-generator."""
