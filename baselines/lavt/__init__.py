"""LAVT and LAVT+ (the R-RIS paper's baselines) in plain PyTorch: ``model`` (LAVT / LAVT+), ``config``
(presets ``swin-b``, ``tiny``), ``checkpoint`` (the public LAVT-RIS files), ``train`` (the shared loop's task
and the toy demo, ``train.train_demo``), ``adapter`` (``lavt``, ``lavt-plus``). Importing this package loads
no torch; its modules do."""
