"""Apply: carry out a plan through narrow ports, reporting progress as events."""
