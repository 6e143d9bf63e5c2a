"""`python -m codegen` from a checkout: the generator itself is the `retently_oauth_codegen` package beside this
file (installed through the `codegen` extra, with the `retently-oauth-codegen` command)."""
