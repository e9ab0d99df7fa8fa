"""What leaves Gigshield: marts and per-agency extracts validated against their outbound contracts, the scan
for raw identifiers in them, the analysts' read-only snapshots, GX Data Docs and the contract catalog."""
