"""Input channels of the plan advisor (the authenticated intranet channel)."""
