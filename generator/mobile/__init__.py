"""Mobile inspection (移动检查): inspector keys, the offline phone app, signed result bundles.

See docs/mobile.md.
"""
