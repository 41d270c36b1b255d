//! `ami top`'s interaction state: the pane shown, the selection, the
//! filter, the sort, the prompt; and what each key does to it. Pure: a key
//! goes in with the pane's rows, a [`Command`] for the loop comes out.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::view::PaneView;

/// The panes, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pane {
    Calls,
    Queues,
    Parked,
    Conferences,
    Devices,
}

impl Pane {
    pub(crate) const ALL: [Pane; 5] = [
        Pane::Calls,
        Pane::Queues,
        Pane::Parked,
        Pane::Conferences,
        Pane::Devices,
    ];

    fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            Pane::Calls => "Calls",
            Pane::Queues => "Queues",
            Pane::Parked => "Parked",
            Pane::Conferences => "Conferences",
            Pane::Devices => "Devices & hints",
        }
    }

    pub(crate) fn short(self) -> &'static str {
        match self {
            Pane::Calls => "Calls",
            Pane::Queues => "Queue",
            Pane::Parked => "Park",
            Pane::Conferences => "Conf",
            Pane::Devices => "Dev",
        }
    }

    /// The orders `s` goes through.
    fn sorts(self) -> &'static [&'static str] {
        match self {
            Pane::Calls => &["age", "channel", "state", "caller"],
            Pane::Queues => &["member", "status", "calls taken"],
            Pane::Parked => &["space", "time parked"],
            Pane::Conferences => &["name", "size"],
            Pane::Devices => &["name", "state"],
        }
    }
}

/// What the line under the status asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Prompt {
    #[default]
    None,
    /// Typing the filter.
    Filter,
    /// Hang this channel up? y/n.
    Hangup(String),
}

/// What the loop is to do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Nothing,
    Quit,
    /// Send `Hangup` for this channel (confirmed).
    Hangup(String),
    /// Sync the model again.
    Resync,
}

/// The selection of one pane: the row it is on (its key, so it follows
/// the row as others come and go) and where that row was.
#[derive(Debug, Clone, Default)]
struct Selection {
    key: Option<String>,
    index: usize,
}

/// The interaction state.
#[derive(Debug, Clone)]
pub(crate) struct Ui {
    pub(crate) pane: Pane,
    pub(crate) filter: String,
    pub(crate) prompt: Prompt,
    pub(crate) help: bool,
    /// Colours on (off with `NO_COLOR`).
    pub(crate) colour: bool,
    /// A notice for the prompt line (a hangup's outcome).
    pub(crate) message: Option<String>,
    /// The rows a page holds, for PgUp / PgDn.
    pub(crate) page: usize,
    selection: [Selection; 5],
    sort: [usize; 5],
    reversed: [bool; 5],
}

impl Ui {
    pub(crate) fn new(colour: bool) -> Self {
        Self {
            pane: Pane::Calls,
            filter: String::new(),
            prompt: Prompt::None,
            help: false,
            colour,
            message: None,
            page: 10,
            selection: Default::default(),
            sort: [0; 5],
            reversed: [false; 5],
        }
    }

    /// The pane's sort order (an index into its list of orders).
    pub(crate) fn sort(&self, pane: Pane) -> usize {
        self.sort[pane.index()]
    }

    pub(crate) fn reversed(&self, pane: Pane) -> bool {
        self.reversed[pane.index()]
    }

    /// The selected row of the current pane's `view`, if it has rows.
    pub(crate) fn selected_index(&self, view: &PaneView) -> Option<usize> {
        let n = view.rows().count();
        if n == 0 {
            return None;
        }
        let sel = &self.selection[self.pane.index()];
        sel.key
            .as_ref()
            .and_then(|k| view.rows().position(|r| &r.key == k))
            .or(Some(sel.index.min(n - 1)))
    }

    fn select(&mut self, view: &PaneView, index: usize) {
        let row = view.rows().nth(index);
        self.selection[self.pane.index()] = Selection {
            key: row.map(|r| r.key.clone()),
            index,
        };
    }

    fn move_by(&mut self, view: &PaneView, delta: isize) {
        let n = view.rows().count();
        if n == 0 {
            return;
        }
        let now = self.selected_index(view).unwrap_or(0);
        let to = now.saturating_add_signed(delta).min(n - 1);
        self.select(view, to);
    }

    fn switch(&mut self, pane: Pane) {
        self.pane = pane;
        self.message = None;
    }

    /// Handles a key; `view` is the current pane as shown.
    pub(crate) fn key(&mut self, key: KeyEvent, view: &PaneView) -> Command {
        if key.kind == KeyEventKind::Release {
            return Command::Nothing;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('d')) {
            return Command::Quit;
        }
        match std::mem::take(&mut self.prompt) {
            Prompt::Filter => {
                match key.code {
                    KeyCode::Enter => {}
                    KeyCode::Esc => self.filter.clear(),
                    KeyCode::Backspace => {
                        self.filter.pop();
                        self.prompt = Prompt::Filter;
                    }
                    KeyCode::Char(c) if !ctrl => {
                        self.filter.push(c);
                        self.prompt = Prompt::Filter;
                    }
                    _ => self.prompt = Prompt::Filter,
                }
                return Command::Nothing;
            }
            Prompt::Hangup(channel) => {
                return match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => Command::Hangup(channel),
                    _ => {
                        self.message = Some("hangup cancelled".into());
                        Command::Nothing
                    }
                };
            }
            Prompt::None => {}
        }
        if self.help {
            // Any key closes the help; q still quits.
            self.help = false;
            if key.code != KeyCode::Char('q') {
                return Command::Nothing;
            }
        }
        let page = isize::try_from(self.page.max(1)).unwrap_or(10);
        match key.code {
            KeyCode::Char('q') => return Command::Quit,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Tab | KeyCode::Right => {
                let next = (self.pane.index() + 1) % Pane::ALL.len();
                self.switch(Pane::ALL[next]);
            }
            KeyCode::BackTab | KeyCode::Left => {
                let prev = (self.pane.index() + Pane::ALL.len() - 1) % Pane::ALL.len();
                self.switch(Pane::ALL[prev]);
            }
            KeyCode::Char(c @ '1'..='5') => {
                let i = usize::from(c as u8 - b'1');
                self.switch(Pane::ALL[i]);
            }
            KeyCode::Down | KeyCode::Char('j') => self.move_by(view, 1),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(view, -1),
            KeyCode::PageDown => self.move_by(view, page),
            KeyCode::PageUp => self.move_by(view, -page),
            KeyCode::Home | KeyCode::Char('g') => self.select(view, 0),
            KeyCode::End | KeyCode::Char('G') => {
                let n = view.rows().count();
                self.select(view, n.saturating_sub(1));
            }
            KeyCode::Char('/') => {
                self.message = None;
                self.prompt = Prompt::Filter;
            }
            KeyCode::Esc => {
                self.filter.clear();
                self.message = None;
            }
            KeyCode::Char('s') => {
                let i = self.pane.index();
                let sorts = self.pane.sorts();
                self.sort[i] = (self.sort[i] + 1) % sorts.len();
                self.message = Some(format!("sorted by {}", sorts[self.sort[i]]));
            }
            KeyCode::Char('S') => {
                let i = self.pane.index();
                self.reversed[i] = !self.reversed[i];
                self.message = Some(
                    if self.reversed[i] {
                        "order reversed"
                    } else {
                        "order restored"
                    }
                    .into(),
                );
            }
            KeyCode::Char('h') => {
                let channel = self
                    .selected_index(view)
                    .and_then(|i| view.rows().nth(i))
                    .and_then(|r| r.channel.clone());
                match channel {
                    Some(channel) => {
                        self.message = None;
                        self.prompt = Prompt::Hangup(channel);
                    }
                    None => self.message = Some("no channel selected".into()),
                }
            }
            KeyCode::Char('R') => return Command::Resync,
            _ => {}
        }
        Command::Nothing
    }
}
