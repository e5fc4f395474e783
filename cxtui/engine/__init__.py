"""The one place that runs queries: collecting LazyFrames, building (or loading)
the per-customer facts, and opening an analysis. CLI and TUI both go through
`open_analysis` and `collect`, so engine and caching choices live here only.

One module per job, each importing only those above it:

- `collect`: `collect`, `collect_all`, the only calls that run a query;
- `build`: the facts build (`facts_and_others`) and the fingerprint of its
  definitions (`facts_schemas`, `code_version`, `facts_fingerprint`);
- `cache`: the facts cache (key, files, pruning, background writes),
  `build_facts` (an entry read, or the facts built and written), the output cache;
- `analysis`: `Analysis`, `where_expr`, `open_analysis`, `analysis_of`;
- `asof`: the dataset at another as_of (`dataset_at`) and facts columns as of
  other dates (`columns_at`, `columns_over`, `scope_at`), for SPEC §7's trends.
"""

from cxtui.engine.analysis import Analysis, analysis_of, open_analysis, where_expr
from cxtui.engine.asof import columns_at, columns_over, dataset_at, scope_at
from cxtui.engine.build import code_version, facts_and_others, facts_fingerprint, facts_schemas
from cxtui.engine.cache import (
    KEEP_ENTRIES,
    build_facts,
    cache_key,
    default_cache_dir,
    finish_cache_writes,
    output_cache_path,
    output_key,
    pane_cache_path,
    read_output_cache,
    read_pane_cache,
    write_output_cache,
    write_pane_cache,
)
from cxtui.engine.collect import collect, collect_all

__all__ = [
    "KEEP_ENTRIES",
    "Analysis",
    "analysis_of",
    "build_facts",
    "cache_key",
    "code_version",
    "collect",
    "collect_all",
    "columns_at",
    "columns_over",
    "dataset_at",
    "default_cache_dir",
    "facts_and_others",
    "facts_fingerprint",
    "facts_schemas",
    "finish_cache_writes",
    "open_analysis",
    "output_cache_path",
    "output_key",
    "pane_cache_path",
    "read_output_cache",
    "read_pane_cache",
    "scope_at",
    "where_expr",
    "write_output_cache",
    "write_pane_cache",
]
