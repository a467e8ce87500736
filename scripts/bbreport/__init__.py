"""Report, comparison and history tooling for bridgebench results JSON (docs/results-schema.md).

Everything here reads only the results JSON the C++ benchmarks write; see scripts/README.md.
"""
