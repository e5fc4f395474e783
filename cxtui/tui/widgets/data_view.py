"""A virtualised table over a `ResultTable`: only the visible rows are formatted
and drawn (Textual's Line API), so a million-row account list scrolls like ten.

Cells go through the same `format_value` as the CLI, and every cell is plain
text (`Segment`s), so markup or escapes in the data are never interpreted.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cxtui.render import ColumnSpec, ResultTable, format_value, safe_text

WIDTH_SAMPLE = 500  # rows looked at to size columns
MAX_CELL = 40
MAX_PROSE = 90  # signals, comments: the explanation is the point
GAP = 2


def _cell_width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


class DataView(ScrollView, can_focus=True):
    """Rows of a ResultTable with a row/column cursor and a sticky header."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First row", show=False),
        Binding("end,G", "jump(-1)", "Last row", show=False),
        Binding("left,h", "column(-1)", "Column left", show=False),
        Binding("right,l", "column(1)", "Column right", show=False),
        Binding("enter", "select", "Open", id="open"),
    ]

    DEFAULT_CSS = """
    DataView { height: 1fr; scrollbar-size-horizontal: 1; }
    DataView > .data-view--header { text-style: bold; }
    DataView > .data-view--cursor { text-style: reverse; }
    DataView > .data-view--cursor-cell { text-style: reverse bold underline; }
    DataView > .data-view--sorted { text-style: bold underline; }
    DataView > .data-view--missing { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "data-view--header",
        "data-view--cursor",
        "data-view--cursor-cell",
        "data-view--sorted",
        "data-view--missing",
    }

    cursor_row: reactive[int] = reactive(0, always_update=True)
    cursor_col: reactive[int] = reactive(0)

    class Selected(Message):
        """Enter on a row."""

        def __init__(self, view: DataView, index: int, row: dict[str, Any]) -> None:
            super().__init__()
            self.view = view
            self.index = index
            self.row = row

        @property
        def control(self) -> DataView:
            return self.view

    class Highlighted(Message):
        """The cursor is on a new row (or the table changed under it)."""

        def __init__(self, view: DataView, row: dict[str, Any] | None) -> None:
            super().__init__()
            self.view = view
            self.row = row

        @property
        def control(self) -> DataView:
            return self.view

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.table: ResultTable | None = None
        self.base: ResultTable | None = None  # as loaded, before sort and filter
        self.filter_text = ""
        self.specs: list[ColumnSpec] = []
        self.widths: list[int] = []
        self.natural: list[int] = []
        self._laid_out_for = -1
        self.offsets: list[int] = []
        self.sort_key: str | None = None
        self.sort_desc = False
        self.empty_message = "no rows"

    # ------------------------------------------------------------ data

    @property
    def row_count(self) -> int:
        return self.table.frame.height if self.table is not None else 0

    def set_table(self, table: ResultTable, cursor_row: int = 0, base: bool = True) -> None:
        """Show `table`; a new base (a fresh query) clears the sort and filter."""
        if base:
            self.base = table
            self.filter_text = ""
            self.sort_key = None
            self.sort_desc = False
        self.table = table
        self.specs = table.specs()
        frame = table.frame
        sample = frame.head(WIDTH_SAMPLE)
        widths = []
        for spec in self.specs:
            col = sample[spec.key].to_list()
            cells = [format_value(v, spec.kind, table.currency) for v in col]
            longest = max((_cell_width(c) for c in cells), default=0)
            cap = MAX_PROSE if spec.wrap else MAX_CELL
            # room for the header and its sort arrow
            widths.append(max(_cell_width(spec.header) + 2, min(longest, cap), 3))
        self.natural = widths
        self._layout()
        self.cursor_col = min(self.cursor_col, max(len(self.specs) - 1, 0))
        self.cursor_row = max(0, min(cursor_row, frame.height - 1))
        self.refresh()

    def _layout(self) -> None:
        """Column widths for the current width: when the table is too wide, long
        text columns (names, owners) give way first so the prose column (signals)
        and the numbers stay readable; what still does not fit scrolls sideways."""
        widths = list(self.natural)
        # the outer width, less room for a vertical scrollbar, whether or not one
        # shows: a width that moved with the scrollbars would re-layout forever
        available = (self.outer_size.width or 120) - 2
        self._laid_out_for = self.outer_size.width
        excess = sum(w + GAP for w in widths) + 1 - available
        shrinkable = [
            i for i, s in enumerate(self.specs) if not s.numeric and s.priority > 0 and not s.wrap
        ]
        floor = 12
        while excess > 0:
            candidates = [i for i in shrinkable if widths[i] > floor]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1
        self.widths = widths
        self.offsets = []
        x = 1
        for w in widths:
            self.offsets.append(x)
            x += w + GAP
        height = self.table.frame.height if self.table is not None else 0
        size = Size(x, height + 1)
        if size != self.virtual_size:
            self.virtual_size = size
        self.refresh()

    def current_row(self) -> dict[str, Any] | None:
        if self.table is None or not self.row_count:
            return None
        return self.table.frame.row(self.cursor_row, named=True)

    def current_column(self) -> ColumnSpec | None:
        return self.specs[self.cursor_col] if self.specs else None

    # ------------------------------------------------------------ drawing

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _line(self, cells: list[str], styles: list[Style], base: Style) -> Strip:
        segments = [Segment(" ", base)]
        for i, (text, style) in enumerate(zip(cells, styles, strict=True)):
            width = self.widths[i]
            spec = self.specs[i]
            if _cell_width(text) > width:
                text = _crop(text, width)
            pad = " " * (width - _cell_width(text))
            body = pad + text if spec.numeric else text + pad
            segments.append(Segment(body, base + style))
            segments.append(Segment(" " * GAP, base))
        return Strip(segments)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if self.table is None:
            return Strip.blank(width, base)
        if y == 0:
            header = self._style("data-view--header")
            sorted_style = self._style("data-view--sorted")
            cells, styles = [], []
            for spec in self.specs:
                arrow = ""
                if spec.key == self.sort_key:
                    arrow = " ▼" if self.sort_desc else " ▲"
                cells.append(safe_text(spec.header) + arrow)
                styles.append(sorted_style if spec.key == self.sort_key else Style())
            strip = self._line(cells, styles, base + header)
            return strip.crop_extend(scroll_x, scroll_x + width, base)
        index = scroll_y + y - 1
        if index >= self.row_count:
            if index == 0:
                return Strip([Segment(f" {self.empty_message}", base)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        row = self.table.frame.row(index)
        cells = []
        missing = self._style("data-view--missing")
        styles = []
        for i, spec in enumerate(self.specs):
            value = row[i]
            text = format_value(value, spec.kind, self.table.currency)
            cells.append(text)
            styles.append(missing if text == "—" else Style())
        line_style = base
        if index == self.cursor_row and self.has_focus_within_screen:
            line_style = base + self._style("data-view--cursor")
            styles[self.cursor_col] = self._style("data-view--cursor-cell")
        elif index == self.cursor_row:
            line_style = base + self._style("data-view--cursor")
        strip = self._line(cells, styles, line_style)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    @property
    def has_focus_within_screen(self) -> bool:
        return self.has_focus

    # ------------------------------------------------------------ cursor

    @property
    def _body_height(self) -> int:
        return max(self.size.height - 1 - (1 if self.show_horizontal_scrollbar else 0), 1)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_row()))

    def watch_cursor_col(self, old: int, new: int) -> None:
        if self.offsets:
            left = self.offsets[new] - 1
            right = self.offsets[new] + self.widths[new] + GAP
            if left < self.scroll_x:
                self.scroll_to(x=left, animate=False, immediate=True)
            elif right > self.scroll_x + self.size.width:
                self.scroll_to(x=right - self.size.width, animate=False, immediate=True)
        self.refresh()

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_y
        height = self._body_height
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False, immediate=True)

    def on_resize(self) -> None:
        if self.table is not None and self.outer_size.width != self._laid_out_for:
            self._layout()
        self._scroll_cursor_into_view()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if self.row_count:
            self.cursor_row = max(0, min(self.cursor_row + delta, self.row_count - 1))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self._body_height)

    def action_jump(self, where: int) -> None:
        if self.row_count:
            self.cursor_row = 0 if where == 0 else self.row_count - 1

    def action_column(self, delta: int) -> None:
        if self.specs:
            self.cursor_col = max(0, min(self.cursor_col + delta, len(self.specs) - 1))

    def action_select(self) -> None:
        row = self.current_row()
        if row is not None:
            self.post_message(self.Selected(self, self.cursor_row, row))

    def on_click(self, event) -> None:
        y = event.y
        if y >= 1 and self.row_count:
            index = int(self.scroll_y) + y - 1
            if index < self.row_count:
                if index == self.cursor_row and event.chain >= 2:
                    self.action_select()
                self.cursor_row = index
        x = event.x + int(self.scroll_x)
        for i, off in enumerate(self.offsets):
            if off <= x < off + self.widths[i] + GAP:
                self.cursor_col = i
                break


def _crop(text: str, width: int) -> str:
    from rich.cells import set_cell_size

    return set_cell_size(text, max(width - 1, 0)) + "…" if width > 0 else ""
