"""The default configuration shipped inside the package, used when no other config folder is found.

Each ``*.yaml`` here is a symbolic link to the file of the same name in the repository's ``config/``
(the copy people edit), so there is one copy in the repository; building the wheel copies the files'
contents in. ``tests/core/test_config_lookup.py`` fails if a file is added to one folder and not the
other. Find the folder in use with ``whirlpool.settings.config_dir()``.
"""
