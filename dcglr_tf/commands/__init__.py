"""The command lines: `dcglr-train` / `python train.py` (`train.main`) and `dcglr-evaluate` / `python evaluate.py`
(`evaluate.main`). Each parses its flags and calls the library."""
