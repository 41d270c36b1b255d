//! What `ami top` shows: the panes built from the live model (rows of
//! cells, grouped and sorted), and the pure function that draws them with
//! the status line into a ratatui frame. Nothing here reads a clock or the
//! terminal: the time and the UI state come in, so a test backend renders
//! the same screen every time.

use std::time::Duration;

use ami_live::{Channel, Part, PartStatus, State};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Tabs, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::ui::{Pane, Prompt, Ui};

/// A column: its title, the widths it may take, and how soon it goes when
/// the terminal is narrow (higher goes first).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    pub(crate) title: &'static str,
    pub(crate) min: u16,
    pub(crate) max: u16,
    pub(crate) drop: u8,
}

const fn col(title: &'static str, min: u16, max: u16, drop: u8) -> Col {
    Col {
        title,
        min,
        max,
        drop,
    }
}

/// How a row is coloured (when colours are on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Normal,
    Good,
    Warn,
    Bad,
    Dim,
}

/// One line of a table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// What identifies it across redraws (the selection follows it).
    pub(crate) key: String,
    pub(crate) cells: Vec<String>,
    /// The channel `h` hangs up when this row is selected.
    pub(crate) channel: Option<String>,
    pub(crate) tone: Tone,
}

/// A titled table in a pane.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub(crate) title: Option<String>,
    pub(crate) cols: &'static [Col],
    pub(crate) rows: Vec<Row>,
    /// Said instead of the table when it has no rows.
    pub(crate) empty: String,
}

/// What a pane holds right now.
#[derive(Debug, Clone, Default)]
pub(crate) struct PaneView {
    pub(crate) sections: Vec<Section>,
}

impl PaneView {
    /// Every row, in screen order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = &Row> {
        self.sections.iter().flat_map(|s| s.rows.iter())
    }
}

/// How the connection is doing, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Conn {
    /// Sending the list actions.
    Syncing,
    /// Synced and following events.
    Live,
    /// Dropped: trying again (`retry_in` when this side keeps the backoff).
    Reconnecting {
        attempt: u32,
        retry_in: Option<Duration>,
        reason: String,
    },
}

/// The status line's facts.
#[derive(Debug, Clone)]
pub(crate) struct Status {
    pub(crate) server: String,
    pub(crate) version: Option<String>,
    pub(crate) conn: Conn,
    pub(crate) events_per_sec: f64,
    /// Events the client dropped because `top` could not keep up.
    pub(crate) lost: u64,
}

/// Text from the wire, safe for a cell: control characters escaped, tabs
/// made spaces.
fn clean(text: &str) -> String {
    crate::text::visible(text).replace('\t', " ")
}

/// `1:05`, `12:00:03`; `-` when unknown.
pub(crate) fn duration(since: Option<i64>, now: i64) -> String {
    let Some(since) = since else {
        return "-".into();
    };
    let secs = (now - since).max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

fn caller(party: &ami_live::Party) -> String {
    if party.is_unknown() {
        return String::new();
    }
    let unknown = |s: &str| s.is_empty() || s == "<unknown>";
    match (unknown(&party.name), unknown(&party.num)) {
        (false, false) => format!("{} <{}>", clean(&party.name), clean(&party.num)),
        (false, true) => clean(&party.name),
        _ => clean(&party.num),
    }
}

fn application(c: &Channel) -> String {
    match (c.application.is_empty(), c.application_data.is_empty()) {
        (true, _) => String::new(),
        (false, true) => clean(&c.application),
        (false, false) => format!("{}({})", clean(&c.application), clean(&c.application_data)),
    }
}

/// Orders uniqueids as numbers where they are (`…​.10` after `…​.9`).
fn uid_order(uid: &str) -> (u64, u64, &str) {
    let tail = uid.rsplit('-').next().unwrap_or(uid);
    let mut it = tail.split('.');
    let secs = it.next().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    let seq = it.next().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    (secs, seq, uid)
}

fn channel_tone(c: &Channel) -> Tone {
    use ami_live::ChannelState as S;
    match c.state {
        S::Up if c.on_hold == Some(true) => Tone::Warn,
        S::Up => Tone::Good,
        S::Ring | S::Ringing | S::Dialing | S::PreRing | S::DialingOffhook => Tone::Warn,
        S::Busy => Tone::Bad,
        _ => Tone::Normal,
    }
}

/// Whether a row shows `filter` (any case) in one of its cells.
fn matches(cells: &[String], filter: &str) -> bool {
    filter.is_empty() || {
        let filter = filter.to_lowercase();
        cells.iter().any(|c| c.to_lowercase().contains(&filter))
    }
}

/// Why a part is empty, when it is not simply empty.
fn empty_because(state: &State, part: Part, what: &str) -> String {
    match state.status(part) {
        PartStatus::Unavailable(why) => format!("{what}: unavailable ({})", clean(why)),
        PartStatus::Unsynced | PartStatus::Syncing => format!("{what}: syncing…"),
        _ => format!("no {what}"),
    }
}

const CALL_COLS: &[Col] = &[
    col("Call", 3, 4, 2),
    col("Channel", 12, 40, 0),
    col("State", 4, 8, 1),
    col("Caller ID", 8, 28, 3),
    col("Time", 4, 8, 0),
    col("Application", 8, 34, 4),
    col("Bridge", 8, 14, 6),
];

/// The calls pane: channels grouped by call, oldest call first (or as
/// sorted), each call's channels oldest first.
fn calls(state: &State, ui: &Ui, now: i64) -> PaneView {
    let mut groups: Vec<(&ami_live::Call, Vec<&Channel>)> = state
        .calls()
        .map(|call| {
            let mut chans: Vec<&Channel> = state.channels_of_call(&call.linkedid).collect();
            chans.sort_by(|a, b| uid_order(&a.uniqueid).cmp(&uid_order(&b.uniqueid)));
            (call, chans)
        })
        .filter(|(_, chans)| !chans.is_empty())
        .collect();
    let first = |chans: &[&Channel]| chans[0].clone();
    match ui.sort(Pane::Calls) {
        1 => groups.sort_by_key(|(_, c)| first(c).name),
        2 => groups.sort_by_key(|(_, c)| (first(c).state.code(), first(c).name)),
        3 => groups.sort_by_key(|(_, c)| caller(&first(c).caller_id)),
        _ => groups.sort_by(|(a, ac), (b, bc)| {
            (ac[0].created.unwrap_or(i64::MAX), uid_order(&a.linkedid))
                .cmp(&(bc[0].created.unwrap_or(i64::MAX), uid_order(&b.linkedid)))
        }),
    }
    if ui.reversed(Pane::Calls) {
        groups.reverse();
    }
    let mut rows = Vec::new();
    let mut number = 0;
    for (call, chans) in &groups {
        let cells: Vec<Vec<String>> = chans
            .iter()
            .map(|c| {
                vec![
                    String::new(),
                    clean(&c.name),
                    format!(
                        "{}{}",
                        c.state,
                        if c.on_hold == Some(true) { " hold" } else { "" }
                    ),
                    caller(&c.caller_id),
                    duration(c.created, now),
                    application(c),
                    c.bridge
                        .as_deref()
                        .map(|b| b.chars().take(8).collect())
                        .unwrap_or_default(),
                ]
            })
            .collect();
        if !cells.iter().any(|c| matches(c, &ui.filter)) {
            continue;
        }
        number += 1;
        let last = chans.len() - 1;
        for (i, (c, mut cells)) in chans.iter().zip(cells).enumerate() {
            cells[0] = match i {
                0 => number.to_string(),
                i if i == last => "└".into(),
                _ => "├".into(),
            };
            rows.push(Row {
                key: format!("{}/{}", call.linkedid, c.uniqueid),
                cells,
                channel: Some(c.name.clone()),
                tone: channel_tone(c),
            });
        }
    }
    let channels = state.channels().count();
    let mut title = format!(
        "{} call{}, {} channel{}",
        groups.len(),
        plural(groups.len()),
        channels,
        plural(channels)
    );
    if !ui.filter.is_empty() {
        title += &format!(" · {number} shown (filter {:?})", ui.filter);
    }
    PaneView {
        sections: vec![Section {
            title: Some(title),
            cols: CALL_COLS,
            rows,
            empty: if ui.filter.is_empty() {
                empty_because(state, Part::Channels, "calls")
            } else {
                format!("no call matches {:?}", ui.filter)
            },
        }],
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

const MEMBER_COLS: &[Col] = &[
    col("Member", 6, 20, 0),
    col("Interface", 8, 26, 3),
    col("Status", 6, 12, 0),
    col("Paused", 3, 20, 1),
    col("In call", 3, 7, 2),
    col("Taken", 3, 6, 1),
    col("Last call", 4, 9, 4),
];

const CALLER_COLS: &[Col] = &[
    col("Pos", 3, 3, 0),
    col("Channel", 12, 40, 0),
    col("Caller ID", 8, 28, 2),
    col("Wait", 4, 8, 0),
];

/// The queues pane: for each queue its counters, members and callers.
fn queues(state: &State, ui: &Ui, now: i64) -> PaneView {
    let mut sections = Vec::new();
    for q in state.queues() {
        let mut members: Vec<&ami_live::QueueMember> = q.members.values().collect();
        match ui.sort(Pane::Queues) {
            1 => members.sort_by_key(|m| (m.status.as_str().to_owned(), m.name.clone())),
            2 => members.sort_by_key(|m| (std::cmp::Reverse(m.calls_taken), m.name.clone())),
            _ => members.sort_by_key(|m| m.name.clone()),
        }
        if ui.reversed(Pane::Queues) {
            members.reverse();
        }
        let member_rows: Vec<Row> = members
            .iter()
            .map(|m| {
                let paused = match (m.paused, m.paused_reason.is_empty()) {
                    (false, _) => "no".into(),
                    (true, true) => "yes".into(),
                    (true, false) => format!("yes: {}", clean(&m.paused_reason)),
                };
                let last = match i64::try_from(m.last_call) {
                    Ok(0) | Err(_) => "-".into(),
                    Ok(t) => format!("{} ago", duration(Some(t), now)),
                };
                Row {
                    key: format!("member/{}/{}", q.name, m.interface),
                    cells: vec![
                        clean(&m.name),
                        clean(&m.interface),
                        m.status.as_str().to_owned(),
                        paused,
                        if m.in_call { "yes" } else { "no" }.into(),
                        m.calls_taken.to_string(),
                        last,
                    ],
                    channel: None,
                    tone: if m.paused {
                        Tone::Dim
                    } else if m.in_call {
                        Tone::Warn
                    } else {
                        Tone::Good
                    },
                }
            })
            .filter(|r| matches(&r.cells, &ui.filter))
            .collect();
        let caller_rows: Vec<Row> = q
            .callers
            .iter()
            .map(|c| {
                let id = state
                    .channel(&c.uniqueid)
                    .map(|ch| caller(&ch.caller_id))
                    .unwrap_or_default();
                Row {
                    key: format!("caller/{}/{}", q.name, c.uniqueid),
                    cells: vec![
                        c.position.to_string(),
                        clean(&c.channel),
                        id,
                        duration(c.since, now),
                    ],
                    channel: Some(c.channel.clone()),
                    tone: Tone::Warn,
                }
            })
            .filter(|r| matches(&r.cells, &ui.filter))
            .collect();
        let free = q
            .members
            .values()
            .filter(|m| !m.in_call && !m.paused)
            .count();
        sections.push(Section {
            title: Some(format!(
                "{}{}: {} waiting · {} of {} members free · {} completed · {} abandoned · hold {}s · talk {}s",
                clean(&q.name),
                if q.strategy.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", clean(&q.strategy))
                },
                q.callers.len(),
                free,
                q.members.len(),
                q.completed,
                q.abandoned,
                q.holdtime,
                q.talk_time,
            )),
            cols: MEMBER_COLS,
            rows: member_rows,
            empty: "no members".into(),
        });
        sections.push(Section {
            title: None,
            cols: CALLER_COLS,
            rows: caller_rows,
            empty: "no callers waiting".into(),
        });
    }
    if sections.is_empty() {
        sections.push(Section {
            title: None,
            cols: MEMBER_COLS,
            rows: Vec::new(),
            empty: empty_because(state, Part::Queues, "queues"),
        });
    }
    PaneView { sections }
}

const PARKED_COLS: &[Col] = &[
    col("Space", 4, 6, 0),
    col("Lot", 4, 12, 2),
    col("Channel", 12, 40, 0),
    col("Caller ID", 8, 28, 3),
    col("Parked", 4, 8, 0),
    col("Left", 4, 8, 1),
    col("Parked by", 8, 24, 4),
];

fn parked(state: &State, ui: &Ui, now: i64) -> PaneView {
    let mut calls: Vec<&ami_live::ParkedCall> = state.parked_calls().collect();
    match ui.sort(Pane::Parked) {
        1 => calls.sort_by_key(|p| p.since.unwrap_or(i64::MAX)),
        _ => calls.sort_by(|a, b| {
            (&a.lot, a.space.parse::<u64>().ok(), &a.space).cmp(&(
                &b.lot,
                b.space.parse::<u64>().ok(),
                &b.space,
            ))
        }),
    }
    if ui.reversed(Pane::Parked) {
        calls.reverse();
    }
    let rows = calls
        .iter()
        .map(|p| {
            let left = match (p.since, p.timeout) {
                (Some(since), t) if t > 0 => {
                    let t = i64::try_from(t).unwrap_or(i64::MAX);
                    duration(Some(now), since.saturating_add(t))
                }
                _ => "-".into(),
            };
            Row {
                key: format!("parked/{}", p.uniqueid),
                cells: vec![
                    clean(&p.space),
                    clean(&p.lot),
                    clean(&p.channel),
                    state
                        .channel(&p.uniqueid)
                        .map(|c| caller(&c.caller_id))
                        .unwrap_or_default(),
                    duration(p.since, now),
                    left,
                    clean(&p.parker_dial_string),
                ],
                channel: Some(p.channel.clone()),
                tone: Tone::Warn,
            }
        })
        .filter(|r| matches(&r.cells, &ui.filter))
        .collect();
    PaneView {
        sections: vec![Section {
            title: Some(format!("{} parked", calls.len())),
            cols: PARKED_COLS,
            rows,
            empty: empty_because(state, Part::Parking, "parked calls"),
        }],
    }
}

const PARTICIPANT_COLS: &[Col] = &[
    col("Channel", 12, 40, 0),
    col("Caller ID", 8, 28, 2),
    col("Flags", 5, 24, 1),
    col("Time", 4, 8, 0),
];

fn conferences(state: &State, ui: &Ui, now: i64) -> PaneView {
    let mut confs: Vec<&ami_live::Conference> = state.conferences().collect();
    if ui.sort(Pane::Conferences) == 1 {
        confs.sort_by_key(|c| std::cmp::Reverse(c.participants.len()));
    }
    if ui.reversed(Pane::Conferences) {
        confs.reverse();
    }
    let mut sections = Vec::new();
    for c in confs {
        let rows = c
            .participants
            .values()
            .map(|p| {
                let ch = state.channel(&p.uniqueid);
                let flags: Vec<&str> = [
                    (p.admin, "admin"),
                    (p.marked == Some(true), "marked"),
                    (p.muted, "muted"),
                    (p.talking, "talking"),
                    (p.waiting, "waiting"),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, name)| *name)
                .collect();
                Row {
                    key: format!("conf/{}/{}", c.name, p.uniqueid),
                    cells: vec![
                        clean(&p.channel),
                        ch.map(|c| caller(&c.caller_id)).unwrap_or_default(),
                        flags.join(" "),
                        duration(ch.and_then(|c| c.created), now),
                    ],
                    channel: Some(p.channel.clone()),
                    tone: if p.talking { Tone::Good } else { Tone::Normal },
                }
            })
            .filter(|r| matches(&r.cells, &ui.filter))
            .collect();
        sections.push(Section {
            title: Some(format!(
                "conference {}: {} participant{}{}",
                clean(&c.name),
                c.participants.len(),
                plural(c.participants.len()),
                if c.locked { " · locked" } else { "" }
            )),
            cols: PARTICIPANT_COLS,
            rows,
            empty: "no participants".into(),
        });
    }
    if sections.is_empty() {
        sections.push(Section {
            title: None,
            cols: PARTICIPANT_COLS,
            rows: Vec::new(),
            empty: empty_because(state, Part::Conferences, "conferences"),
        });
    }
    PaneView { sections }
}

const HINT_COLS: &[Col] = &[
    col("Hint", 8, 24, 0),
    col("Devices", 8, 40, 1),
    col("Status", 6, 14, 0),
];

const DEVICE_COLS: &[Col] = &[col("Device", 10, 40, 0), col("State", 6, 14, 0)];

fn hint_tone(status: i64) -> Tone {
    match status {
        0 => Tone::Good,
        s if s < 0 || s & 4 != 0 => Tone::Dim,
        s if s & 2 != 0 => Tone::Bad,
        _ => Tone::Warn,
    }
}

fn device_tone(state: &ami_live::DeviceState) -> Tone {
    use ami_live::DeviceState as D;
    match state {
        D::NotInUse => Tone::Good,
        D::InUse | D::Ringing | D::RingInUse | D::OnHold => Tone::Warn,
        D::Busy => Tone::Bad,
        _ => Tone::Dim,
    }
}

fn devices(state: &State, ui: &Ui) -> PaneView {
    let by_state = ui.sort(Pane::Devices) == 1;
    let mut hints: Vec<&ami_live::Hint> = state.hints().collect();
    if by_state {
        hints.sort_by_key(|h| (h.status, h.exten.clone()));
    }
    let mut devs: Vec<&ami_live::Device> = state.devices().collect();
    if by_state {
        devs.sort_by_key(|d| (d.state.as_str().to_owned(), d.name.clone()));
    } else {
        devs.sort_by_key(|d| d.name.clone());
    }
    if ui.reversed(Pane::Devices) {
        hints.reverse();
        devs.reverse();
    }
    let hint_rows = hints
        .iter()
        .map(|h| Row {
            key: format!("hint/{}@{}", h.exten, h.context),
            cells: vec![
                format!("{}@{}", clean(&h.exten), clean(&h.context)),
                clean(&h.hint),
                clean(&h.status_text),
            ],
            channel: None,
            tone: hint_tone(h.status),
        })
        .filter(|r| matches(&r.cells, &ui.filter))
        .collect();
    let device_rows = devs
        .iter()
        .map(|d| Row {
            key: format!("device/{}", d.name),
            cells: vec![clean(&d.name), d.state.as_str().to_owned()],
            channel: None,
            tone: device_tone(&d.state),
        })
        .filter(|r| matches(&r.cells, &ui.filter))
        .collect();
    PaneView {
        sections: vec![
            Section {
                title: Some(format!("{} hint{}", hints.len(), plural(hints.len()))),
                cols: HINT_COLS,
                rows: hint_rows,
                empty: empty_because(state, Part::Hints, "hints"),
            },
            Section {
                title: Some(format!("{} device{}", devs.len(), plural(devs.len()))),
                cols: DEVICE_COLS,
                rows: device_rows,
                empty: empty_because(state, Part::Devices, "device states"),
            },
        ],
    }
}

/// The rows of `pane`, filtered and sorted as `ui` says, at `now` (Unix
/// seconds).
pub(crate) fn pane(state: &State, ui: &Ui, pane: Pane, now: i64) -> PaneView {
    match pane {
        Pane::Calls => calls(state, ui, now),
        Pane::Queues => queues(state, ui, now),
        Pane::Parked => parked(state, ui, now),
        Pane::Conferences => conferences(state, ui, now),
        Pane::Devices => devices(state, ui),
    }
}

/// How many things a pane's tab counts.
fn count(state: &State, pane: Pane) -> usize {
    match pane {
        Pane::Calls => state.calls().count(),
        Pane::Queues => state.queues().map(|q| q.callers.len()).sum(),
        Pane::Parked => state.parked_calls().count(),
        Pane::Conferences => state.conferences().count(),
        Pane::Devices => state.hints().count() + state.devices().count(),
    }
}

/// The widths of the columns that fit in `width` (0 for a column left
/// out): each as wide as its widest cell within its bounds, the columns
/// that go first dropped until the rest fit, the last one shown cut to
/// what is left.
pub(crate) fn fit(cols: &[Col], rows: &[Row], width: u16) -> Vec<u16> {
    let mut widths: Vec<u16> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let widest = rows
                .iter()
                .filter_map(|r| r.cells.get(i))
                .map(|s| s.width())
                .chain([c.title.width()])
                .max()
                .unwrap_or(0);
            u16::try_from(widest)
                .unwrap_or(u16::MAX)
                .clamp(c.min, c.max)
        })
        .collect();
    let total = |w: &[u16]| -> u32 {
        let shown = w.iter().filter(|&&w| w > 0).count() as u32;
        w.iter().map(|&w| u32::from(w)).sum::<u32>() + shown.saturating_sub(1) + 1
    };
    let mut order: Vec<usize> = (0..cols.len()).filter(|&i| cols[i].drop > 0).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cols[i].drop));
    for i in order {
        if total(&widths) <= u32::from(width) {
            break;
        }
        widths[i] = 0;
    }
    // What still does not fit comes off the widest columns.
    while total(&widths) > u32::from(width) {
        let Some(widest) = (0..widths.len()).max_by_key(|&i| widths[i]) else {
            break;
        };
        if widths[widest] <= 1 {
            break;
        }
        widths[widest] -= 1;
    }
    widths
}

/// `text` cut to `width` columns (with `…` when cut), padded to it.
fn cell(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if text.width() <= width {
        return format!("{text}{}", " ".repeat(width - text.width()));
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    used += 1;
    out + &" ".repeat(width.saturating_sub(used))
}

fn line_of(cells: &[String], widths: &[u16]) -> String {
    let mut out = String::from(" ");
    let mut first = true;
    for (text, &w) in cells.iter().zip(widths) {
        if w == 0 {
            continue;
        }
        if !first {
            out.push(' ');
        }
        first = false;
        out += &cell(text, w);
    }
    out
}

/// The styles, or none with `NO_COLOR`.
struct Theme {
    colour: bool,
}

impl Theme {
    fn tone(&self, tone: Tone) -> Style {
        if !self.colour {
            return Style::default();
        }
        match tone {
            Tone::Normal => Style::default(),
            Tone::Good => Style::default().fg(Color::Green),
            Tone::Warn => Style::default().fg(Color::Yellow),
            Tone::Bad => Style::default().fg(Color::Red),
            Tone::Dim => Style::default().fg(Color::DarkGray),
        }
    }

    fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    fn header(&self) -> Style {
        let style = Style::default().add_modifier(Modifier::UNDERLINED);
        if self.colour {
            style.fg(Color::Cyan)
        } else {
            style
        }
    }

    fn bar(&self) -> Style {
        if self.colour {
            Style::default().bg(Color::Blue).fg(Color::White)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }
}

/// The status line: server, version, connection, events/s, losses.
fn status_line(status: &Status, state: &State) -> String {
    let conn = match &status.conn {
        Conn::Syncing => "syncing…".to_owned(),
        Conn::Live => "live".to_owned(),
        Conn::Reconnecting {
            attempt,
            retry_in,
            reason,
        } => {
            let mut s = format!("reconnecting… ({}", clean(reason));
            if *attempt > 0 {
                s += &format!(", attempt {attempt}");
            }
            if let Some(wait) = retry_in {
                s += &format!(", next in {:.1}s", wait.as_secs_f64());
            }
            s + ")"
        }
    };
    let mut line = format!(" {conn}");
    if status.lost > 0 {
        line += &format!(" · LOST {} events, R syncs again", status.lost);
    }
    line += &format!(
        " · {:.1} events/s · {}",
        status.events_per_sec,
        clean(&status.server)
    );
    if let Some(v) = &status.version {
        line += &format!(" · {}", clean(v));
    }
    let stale: Vec<&str> = Part::ALL
        .iter()
        .filter(|&&p| matches!(state.status(p), PartStatus::Stale))
        .map(|p| p.name())
        .collect();
    if !stale.is_empty() && status.conn == Conn::Live {
        line += &format!(" · stale: {}", stale.join(", "));
    }
    line
}

/// The line under the status: a prompt, a message, or the key hint.
fn prompt_line(ui: &Ui) -> String {
    match &ui.prompt {
        Prompt::Filter => format!(" filter: {}▏ (Enter keeps, Esc clears)", ui.filter),
        Prompt::Hangup(channel) => format!(" Hang up {}? y/n", clean(channel)),
        Prompt::None => match &ui.message {
            Some(message) => format!(" {}", clean(message)),
            None if !ui.filter.is_empty() => format!(
                " filter: {} · / edit · Esc clear · ? keys · q quit",
                ui.filter
            ),
            None => " Tab/1-5 pane · ↑↓ select · / filter · s sort · h hang up · ? keys · q quit"
                .to_owned(),
        },
    }
}

const HELP: &[(&str, &str)] = &[
    ("Tab, →, 1-5", "next pane, or pane by number"),
    ("Shift-Tab, ←", "previous pane"),
    ("↑ ↓ j k", "move the selection"),
    ("PgUp PgDn Home End", "move by a page, to the ends"),
    ("/", "filter (Enter keeps it, Esc clears it)"),
    ("s", "sort by the next key of the pane"),
    ("S", "reverse the order"),
    ("h", "hang up the selected channel (asks y/n)"),
    ("R", "sync the model again"),
    ("?", "show or hide these keys"),
    ("q, Ctrl-C", "quit"),
];

fn help(frame: &mut Frame<'_>, area: Rect) {
    let width = 66.min(area.width);
    let height = (HELP.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let lines: Vec<Line<'_>> = HELP
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(
                    format!(" {keys:<19}"),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(*what),
            ])
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" keys ")),
        popup,
    );
}

/// Draws the screen: the pane tabs, the selected pane's tables, the status
/// line and the prompt line.
pub(crate) fn render(frame: &mut Frame<'_>, state: &State, status: &Status, ui: &Ui, now: i64) {
    let area = frame.area();
    let theme = Theme { colour: ui.colour };
    if area.width < 20 || area.height < 4 {
        frame.render_widget(
            Paragraph::new("ami top: too small").wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [tabs_area, body, status_area, prompt_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    let titles: Vec<String> = Pane::ALL
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let name = if area.width < 70 {
                p.short()
            } else {
                p.title()
            };
            format!("{} {name} {}", i + 1, count(state, p))
        })
        .collect();
    let selected = Pane::ALL.iter().position(|&p| p == ui.pane).unwrap_or(0);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .padding("", "")
            .divider("│")
            .highlight_style(Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)),
        tabs_area,
    );

    let view = pane(state, ui, ui.pane, now);
    let chosen = ui.selected_index(&view);
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut chosen_line = 0;
    let mut index = 0;
    for section in &view.sections {
        if let Some(title) = &section.title {
            lines.push(Line::styled(format!(" {title}"), theme.title()));
        }
        if section.rows.is_empty() {
            lines.push(Line::styled(
                format!("   {}", section.empty),
                theme.tone(Tone::Dim),
            ));
            continue;
        }
        let widths = fit(section.cols, &section.rows, body.width);
        let titles: Vec<String> = section.cols.iter().map(|c| c.title.to_owned()).collect();
        lines.push(Line::styled(line_of(&titles, &widths), theme.header()));
        for row in &section.rows {
            let mut style = theme.tone(row.tone);
            if Some(index) == chosen {
                style = style.add_modifier(Modifier::REVERSED);
                chosen_line = lines.len();
            }
            let mut text = line_of(&row.cells, &widths);
            let pad = usize::from(body.width).saturating_sub(text.width());
            text += &" ".repeat(pad);
            lines.push(Line::styled(text, style));
            index += 1;
        }
    }
    // Scrolled so that the selection shows.
    let height = usize::from(body.height);
    let offset = (chosen_line + 1).saturating_sub(height);
    let visible: Vec<Line<'_>> = lines.into_iter().skip(offset).take(height).collect();
    frame.render_widget(Paragraph::new(visible), body);

    let status_text = status_line(status, state);
    frame.render_widget(
        Paragraph::new(Line::styled(status_text, theme.bar())).style(theme.bar()),
        status_area,
    );
    frame.render_widget(Paragraph::new(prompt_line(ui)), prompt_area);
    if ui.help {
        help(frame, body);
    }
}
