"""A course hub on one machine: JupyterHub, its proxy, real Unix accounts and nbgrader's exchange.

  (roster)   who takes part: autograder/course/roster.py, shared with the grade command
  runtime    the interpreter and packages the users' servers run from, and the proxy
  accounts   one Unix account per person, homes only their owner can enter
  course     the exchange, each role's Jupyter configuration, the instructor's course folder
  server     `python -m autograder hub`: start everything, stop everything

The hub's own configuration (jupyterhub_config.py) reads the settings the command writes.
"""
