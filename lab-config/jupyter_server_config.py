"""The course's JupyterLab settings: `make lab` puts this folder on JUPYTER_CONFIG_PATH.

A quiet JupyterLab for reading the course: no Jupyter news and no update check (nothing is fetched from the
internet), and custom/custom.css, which shows speaker notes as an instructor's aside. labconfig/page_config.json
turns off the announcements plugin, so the "Would you like to receive official Jupyter news?" toast never shows.
Your own ~/.jupyter is neither read differently nor written: settings there still win over these.
"""

from pathlib import Path

from jupyter_core.paths import jupyter_config_dir

c = get_config()  # noqa: F821 (traitlets provides get_config to config files)
HERE = Path(__file__).resolve().parent

c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"
c.LabApp.custom_css = True
# JupyterLab serves /custom/custom.css from <config dir>/custom; look in this folder first, then in the usual one.
c.ServerApp.tornado_settings = {
    "static_custom_path": [str(HERE / "custom"), str(Path(jupyter_config_dir()) / "custom")],
}
