"""Parent side of building: the process pool that runs build tasks in workers."""
