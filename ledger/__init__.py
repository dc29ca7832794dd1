"""gongkai ledger: the signed, append-only, publicly verifiable record of every draw.

This package imports only the Python standard library and ``cryptography`` so that the
auditor's verifier can be shipped and run on its own. It never imports ``generator``,
jinja2, yaml or markdown.
"""
