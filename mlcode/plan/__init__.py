"""Plans: the closed set of actions, the pure planner, and plan values."""
