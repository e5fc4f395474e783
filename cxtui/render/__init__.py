"""DataFrame → Rich table / CSV / JSON / Markdown; one formatter for CLI and TUI."""

from cxtui.render.tables import (
    ColumnSpec,
    ResultTable,
    formatted_columns,
    json_dumps,
    jsonable,
    make_console,
    md_escape,
    print_result,
    render_object,
    to_csv,
    to_json,
    to_json_rows,
    to_markdown,
    to_rich_table,
)
from cxtui.render.text import MISSING, format_value, is_missing, safe_text

__all__ = [
    "MISSING",
    "ColumnSpec",
    "ResultTable",
    "format_value",
    "formatted_columns",
    "is_missing",
    "json_dumps",
    "jsonable",
    "make_console",
    "md_escape",
    "print_result",
    "render_object",
    "safe_text",
    "to_csv",
    "to_json",
    "to_json_rows",
    "to_markdown",
    "to_rich_table",
]
