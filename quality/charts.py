"""A figure's chart as SVG, drawn on the server with pygal.

The SVG is served as an image of its own (<img src>), so the dashboard page has no script and no
style of its own; pygal's tooltips script is left out (js=[]). White background and dark text,
so a chart reads the same on paper. pygal always writes its configuration as an inline script;
it is taken out (`_without_scripts`): nothing runs in the chart.
"""

from xml.etree import ElementTree

import pygal
from pygal.style import Style

STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#212529", foreground_strong="#212529",
    foreground_subtle="#6c757d", opacity=".9", opacity_hover="1",
    colors=("#073b80", "#d9822b", "#2f855a", "#b83280", "#6b46c1", "#c53030"),
    font_family="DejaVu Sans, Liberation Sans, Arial, sans-serif",
    title_font_size=16, label_font_size=12, major_label_font_size=12, legend_font_size=12,
    value_font_size=11,
)

KINDS = {
    "bar": pygal.Bar,
    "hbar": pygal.HorizontalBar,
    "stacked": pygal.HorizontalStackedBar,
    "line": pygal.Line,
    "pie": pygal.Pie,
}


def render(table, *, suppress):
    """The SVG (bytes) of `table`'s chart; a value hidden in the table (<5) is left out here too."""
    rows = table.rows if table.chart_rows is None else [table.rows[index] for index in table.chart_rows]
    if table.chart in ("hbar", "stacked"):
        rows = rows[::-1]  # pygal draws the first bar at the bottom; the table reads from the top
    chart = KINDS[table.chart](
        style=STYLE, js=[], width=800, height=max(320, 60 + 34 * len(rows)) if table.chart != "line" else 360,
        title=table.title, print_values=table.chart != "line", print_zeroes=False, legend_at_bottom=True,
        truncate_legend=-1, truncate_label=-1, no_data_text="–", show_y_guides=table.chart != "pie",
        disable_xml_declaration=False, explicit_size=True,
    )
    if table.chart == "pie":
        for row in rows:
            chart.add(row[0], [row[1].number(suppress)])
    else:
        chart.x_labels = [row[0] for row in rows]
        for index in table.series:
            chart.add(str(table.columns[index]), [row[index].number(suppress) for row in rows])
    return _without_scripts(chart.render_tree())


def _without_scripts(root):
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
