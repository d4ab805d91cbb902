"""The semi-guided tasks of a patient's dashboard, visit over visit: a Gantt of each visit's tasks
against the order in which they were asked, and trends of task durations, omissions and order
errors. Read from the task segments in use (marked, else proposed) and the stored task metrics;
a visit without marked tasks says so instead of drawing nothing."""

from __future__ import annotations

from dash import dcc, html
from plotly.subplots import make_subplots

from patients.models import Patient
from results.task_selectors import TaskVisit, patient_task_metrics, patient_task_visits

# Okabe-Ito colours, one per task position (distinguishable with colour-blindness).
TASK_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442")
TASK_HEADLINES = ("tasks.total_time_s", "tasks.omitted_count", "tasks.order_errors")
VISITS_SHOWN = 6  # the most recent visits in the Gantt
# The trends' visit axis has room for at least this many visits: one or two visits sit in the
# middle with bars a visit's width apart, not bars as wide as the plot.
MIN_VISIT_SLOTS = 5
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def _colour(index: int) -> str:
    return TASK_COLOURS[index % len(TASK_COLOURS)]


def _day(visit: TaskVisit) -> str:
    return visit.session_date.strftime("%d %b %Y")


def _visit_title(visit: TaskVisit, metrics: dict) -> str:
    """The visit's date and, in words, what differs from the protocol's list."""
    words = [_day(visit)]
    performed = {task.code: metrics.get(f"tasks.{task.code}.performances") for task in visit.tasks}
    omitted = [t.name for t in visit.tasks if performed[t.code] is not None and performed[t.code].value == 0]
    errors = metrics.get("tasks.order_errors")
    if omitted:
        words.append(f"omitted: {', '.join(omitted)}")
    if errors is not None and errors.value:
        words.append(f"{errors.value:.0f} order error{'s' if errors.value != 1 else ''}")
    if len(words) == 1:
        words.append("every task, in the order asked")
    return " · ".join(words)


def gantt_figure(visits: list[TaskVisit], metrics: dict[int, dict]):
    """One panel per visit (newest last): tasks in the asked order from top to bottom, bars where
    the patient did them (seconds from the video's start). Done in order, the bars step down."""
    shown = [v for v in visits if v.segments][-VISITS_SHOWN:]
    figure = make_subplots(
        rows=len(shown),
        cols=1,
        subplot_titles=[_visit_title(v, metrics.get(v.session_id, {})) for v in shown],
        vertical_spacing=min(0.12, 0.5 / max(len(shown), 1)),
    )
    for row, visit in enumerate(shown, start=1):
        order = {task.code: i for i, task in enumerate(visit.tasks)}
        labels = [f"{i + 1}. {task.name}" for i, task in enumerate(visit.tasks)]
        for segment in visit.segments:
            index = order.get(segment.task_code, len(labels))
            label = labels[index] if index < len(labels) else segment.task_code
            source = "marked" if segment.source == "marked" else "proposed by the task model"
            figure.add_bar(
                row=row,
                col=1,
                orientation="h",
                base=[segment.start_s],
                x=[segment.end_s - segment.start_s],
                y=[label],
                marker={"color": _colour(index)},
                name=label,
                showlegend=False,  # the y axis names each task
                hovertemplate=(
                    f"{label}<br>{segment.start_s:.0f} to {segment.end_s:.0f} s "
                    f"({segment.end_s - segment.start_s:.0f} s), {source}<extra></extra>"
                ),
            )
        figure.update_yaxes(
            row=row,
            col=1,
            categoryorder="array",
            categoryarray=list(reversed(labels)),
            range=[-0.6, len(labels) - 0.4],
        )
        figure.update_xaxes(
            row=row, col=1, title_text="seconds from the start of the video", rangemode="tozero"
        )
    figure.update_layout(
        barmode="overlay",
        height=170 + 200 * len(shown),
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
        plot_bgcolor="#ffffff",
    )
    figure.update_annotations(font_size=13)
    return figure


def trends_figure(visits: list[TaskVisit], metrics: dict[int, dict]):
    """Duration of each task per visit, and the omitted tasks and order errors per visit."""
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        subplot_titles=("Time spent on each task (seconds)", "Tasks omitted and order errors (count)"),
        vertical_spacing=0.14,
    )
    measured = [v for v in visits if v.session_id in metrics]
    tasks = visits[-1].tasks if visits else []
    for index, task in enumerate(tasks):
        dates, values = [], []
        for visit in measured:
            sample = metrics[visit.session_id].get(f"tasks.{task.code}.duration_s")
            if sample is not None and sample.value is not None:
                dates.append(_day(visit))
                values.append(sample.value)
        figure.add_scatter(
            row=1, col=1, x=dates, y=values, mode="lines+markers", name=f"{index + 1}. {task.name}",
            marker={"color": _colour(index)}, line={"color": _colour(index)},
            hovertemplate=f"{task.name}: %{{y:.0f}} s on %{{x}}<extra></extra>",
        )  # fmt: skip
    for key, name, colour, none in (
        ("tasks.omitted_count", "Tasks omitted", "#55606d", "none omitted"),
        ("tasks.order_errors", "Order errors", "#d55e00", "no order error"),
    ):
        rows = [(_day(v), metrics[v.session_id].get(key)) for v in measured]
        rows = [
            (day, sample.value) for day, sample in rows if sample is not None and sample.value is not None
        ]
        figure.add_bar(
            row=2, col=1, x=[day for day, _ in rows], y=[value for _, value in rows], name=name,
            marker={"color": colour}, text=[none if value == 0 else f"{value:.0f}" for _, value in rows], textposition="outside",
            textfont={"color": colour}, cliponaxis=False, hovertemplate=f"{name}: %{{y:.0f}} on %{{x}}<extra></extra>",
        )  # fmt: skip
    figure.update_yaxes(row=1, col=1, title_text="seconds", rangemode="tozero")
    figure.update_yaxes(row=2, col=1, title_text="count", rangemode="tozero", dtick=1)
    figure.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=[_day(v) for v in measured],
        range=_visit_range(len(measured)),
    )
    # The zero line drawn: a count of none reads "none omitted" on it, not as a missing bar.
    figure.update_xaxes(
        row=2, col=1, title_text="visit date", showline=True, linecolor="#55606d", linewidth=1
    )
    figure.update_layout(
        height=600, barmode="group", margin={"l": 10, "r": 10, "t": 50, "b": 40}, plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.15},
    )  # fmt: skip
    return figure


def _visit_range(n_visits: int) -> list[float]:
    """The category axis' range: the visits centred in at least MIN_VISIT_SLOTS slots."""
    slots = max(n_visits, MIN_VISIT_SLOTS)
    left = (slots - n_visits) / 2
    return [-0.5 - left, n_visits - 0.5 + left]


def tasks_section(*, patient: Patient) -> html.Section | None:
    """The section, or None for a patient with no visit of a semi-guided tasks protocol."""
    visits = patient_task_visits(patient=patient)
    if not visits:
        return None
    children: list = [
        html.H2("Semi-guided tasks, visit over visit", id="tasks-title", className="h3"),
        html.P(
            "Each visit's tasks against the order in which they were asked (top to bottom): done in "
            "order, the bars step down from left to right. Below, the time spent on each task and "
            "the tasks omitted or done out of order, visit after visit.",
            className="hint",
        ),
    ]
    if not any(visit.segments for visit in visits):
        children.append(
            html.P(
                f"No task is marked yet in the {len(visits)} semi-guided visit{'s' if len(visits) != 1 else ''}: "
                "open a visit's session page and mark when each task starts and ends (keys 1 to 9 while "
                "the video plays), or accept the task model's proposals.",
                className="empty-state",
                id="tasks-empty",
            )
        )
        return html.Section(className="card dashboard-tasks", id="dashboard-tasks", children=children)
    metrics = patient_task_metrics(patient=patient)
    children += [
        html.Figure(
            className="metric-graph",
            children=[
                dcc.Graph(id="tasks-gantt", figure=gantt_figure(visits, metrics), config=GRAPH_CONFIG),
                html.Figcaption(
                    "Bars: when each task was done, as marked by a clinician (or proposed by the task model "
                    "where no clinician has marked that visit).",
                    className="graph-help",
                ),
            ],
        ),
        html.Figure(
            className="metric-graph",
            children=[
                dcc.Graph(id="tasks-trends", figure=trends_figure(visits, metrics), config=GRAPH_CONFIG)
            ],
        ),
    ]
    return html.Section(className="card dashboard-tasks", id="dashboard-tasks", children=children)
