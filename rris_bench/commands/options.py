"""Options shared by the commands that read a dataset."""
from __future__ import annotations

import click

from ..datasets import FORMAT_CHOICES

dataset_format = click.option(
    "--dataset-format", "dataset_format", type=click.Choice(FORMAT_CHOICES), default="auto", show_default=True,
    help="On-disk format of the dataset: auto recognises it from its files (refs(*).p: refer / R-RefCOCO, "
         "refzom by its 'source' field, fprefcoco by 'is_false_premise'; grefs(*).json|.p: grefcoco; "
         "OmniRef.json: omniref).")
