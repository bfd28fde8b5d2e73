"""scanobjectnn: ScanObjectNN (real scanned objects, 15 classes) from the authors' h5_files release."""
