"""Batch over report archives: files in, a table of findings and actions out (DESIGN §7, issue 10).

Why a package of small modules: reading (``sources``), flattening (``records``), analysing one chunk
(``work``), writing (``sinks``), resuming (``checkpoint``), showing progress (``progress``) and running
(``runner``) change for different reasons and are tested apart. The same ``work`` functions run in local
worker processes and in Spark executors (:mod:`calcitrack.spark`), which is what keeps their outputs
identical.
"""

from calcitrack.batch.runner import BatchOptions, BatchStats, run_batch

__all__ = ["BatchOptions", "BatchStats", "run_batch"]
