"""Compatibility layers that keep another product's call shapes over libdbx.

``libdbx.compat.datarobot``: DataRobot's Python client and MLOps reporter shapes, so scripts
written against them port to Databricks with few edits (see its module documentation and
docs/porting-datarobot.md for every difference).
"""
