# Targets, statistics and snapshots arrive with the statistics issue.
