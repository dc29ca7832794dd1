"""The embedded example county (示例数据): a deterministic generator for its two libraries.

Run ``python -m generator.example.county`` to regenerate ``content/entities.csv``,
``content/inspectors.csv`` and ``content/conflicts.yaml``. Every name, code and person in those
files is synthetic.
"""
