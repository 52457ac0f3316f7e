"""Strata's Python client: versioned data, runs, models, lineage and the inference archive.

    import strata
    client = strata.Client()            # STRATA_ENDPOINT and STRATA_TOKEN, as the CLI takes them
    client.put("corpus@main:docs/a.txt", b"hello")
    client.commit("corpus", "main", "add a")
    with client.run(job="train", inputs=["corpus@main:docs/"]) as run:
        run.log_metric("loss", 0.25, step=1)
"""

from .client import Client, Run
from .errors import StrataError

__all__ = ["Client", "Run", "StrataError"]
__version__ = "0.1.0"
