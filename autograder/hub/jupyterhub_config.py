"""JupyterHub configuration of the course hub.

JupyterHub runs from the hub's own environment, where this repository is not installed: this file
imports nothing of it and reads everything from the settings file `python -m autograder hub` writes
(its path in TASK41_HUB_SETTINGS).
"""
import json
import os

with open(os.environ["TASK41_HUB_SETTINGS"]) as handle:
    settings = json.load(handle)
state = settings["private"]  # root's alone (0700): the database and log name every submission

c = get_config()  # type: ignore[name-defined]  # provided by JupyterHub

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = settings["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.pid_file = f"{state}/proxy.pid"

# Real Unix accounts, passwords checked by PAM; only the roster may log in.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(settings["users"])
c.Authenticator.admin_users = set(settings["admins"])

# The grading service: preliminary feedback on submit (docs/hub.md); it runs as root, like the hub.
c.JupyterHub.services = settings["services"]
c.JupyterHub.load_roles = settings["roles"]

# Each server runs as its user, from the hub's environment, in the user's home.
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [settings["singleuser"]]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120


def per_user_settings(spawner):
    """The role's environment: its Jupyter configuration folder, the data, for the instructor the grader."""
    spawner.environment.update(settings["users"][spawner.user.name]["environment"])


c.Spawner.pre_spawn_hook = per_user_settings
