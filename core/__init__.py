"""The small shared core every stage may use: configuration (Settings, DataPaths, the timezone), reading the
data contracts, the warehouse file's helpers and file modes. It imports no other Gigshield package."""
