"""The course: where things live, the environment of child processes, the one way to run nbgrader,
notebook helpers, release and demo."""
