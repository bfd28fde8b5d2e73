"""The user_files TFDS builder: a folder of the user's files, one config per folder content."""
