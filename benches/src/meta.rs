//! The statistics `gen_corpus.py` prints and writes to `FILE.meta.json`,
//! rendered byte for byte as Python's `json.dump(meta, f, indent=1)`.

use std::fmt::Write as _;

use crate::corpus::{BANNER, ChanvarStyle};

/// Counts over the messages of a corpus, as the Python `main()` keeps them.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Messages seen.
    pub messages: u64,
    /// Messages whose first header is `Event`.
    pub events: u64,
    /// The other messages.
    pub responses: u64,
    /// Events with an `ActionID` header.
    pub events_with_actionid: u64,
    /// Events between an `EventList: start` response and the event with
    /// `EventList: Complete`.
    pub events_in_lists: u64,
    /// Responses with `EventList: start`.
    pub event_lists: u64,
    /// Responses with `Output` headers.
    pub command_responses: u64,
    /// Event names with their counts, in order of first appearance.
    pub by_event: Vec<(String, u64)>,
    header_total: u64,
    header_min: u64,
    header_max: u64,
    in_list: bool,
    last_is_sentinel: bool,
}

/// The value of the last header named `key`, as `dict(m).get(key)`.
fn last_value<'a>(m: &'a [(String, String)], key: &str) -> Option<&'a str> {
    m.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl Stats {
    /// Counts one message.
    pub fn add(&mut self, m: &[(String, String)]) {
        let n = m.len() as u64;
        if self.messages == 0 {
            self.header_min = n;
        }
        self.messages += 1;
        self.header_total += n;
        self.header_min = self.header_min.min(n);
        self.header_max = self.header_max.max(n);
        let first = m.first();
        if let Some((_, name)) = first.filter(|(k, _)| k == "Event") {
            self.events += 1;
            match self.by_event.iter_mut().find(|(e, _)| e == name) {
                Some((_, count)) => *count += 1,
                None => self.by_event.push((name.clone(), 1)),
            }
            if last_value(m, "ActionID").is_some() {
                self.events_with_actionid += 1;
            }
            if self.in_list {
                self.events_in_lists += 1;
            }
            if last_value(m, "EventList") == Some("Complete") {
                self.in_list = false;
            }
        } else {
            self.responses += 1;
            if last_value(m, "EventList") == Some("start") {
                self.in_list = true;
                self.event_lists += 1;
            }
            if last_value(m, "Output").is_some() {
                self.command_responses += 1;
            }
        }
        self.last_is_sentinel = first.is_some_and(|(k, v)| k == "Event" && v == "UserEvent");
    }

    /// Whether the stream ended as the Python script asserts: outside any
    /// event list, on the `UserEvent` sentinel.
    #[must_use]
    pub fn ends_well(&self) -> bool {
        !self.in_list && self.last_is_sentinel
    }

    /// The line the script prints after writing `file` of `bytes` bytes.
    #[must_use]
    pub fn summary(&self, file: &str, bytes: u64) -> String {
        let pct = |n: u64| 100.0 * n as f64 / self.messages as f64;
        format!(
            "wrote {file}: {bytes} bytes, {} messages ({} events = {:.1}%, {} responses = {:.1}%; \
             {} events carry an ActionID, {} event lists, {} Command responses)",
            self.messages,
            self.events,
            pct(self.events),
            self.responses,
            pct(self.responses),
            self.events_with_actionid,
            self.event_lists,
            self.command_responses
        )
    }

    /// `FILE.meta.json`, as written by `json.dump(meta, f, indent=1)`.
    #[must_use]
    pub fn meta_json(&self, file: &str, seed: i128, style: ChanvarStyle, bytes: u64) -> String {
        let banner = BANNER.len() as u64;
        let nmsg = self.messages as f64;
        let mean_headers = py_round(self.header_total as f64 / nmsg, 2);
        let mean_bytes = py_round((bytes - banner) as f64 / nmsg, 1);
        let mut s = String::from("{\n");
        let mut field = |key: &str, value: String| {
            let _ = writeln!(s, " {}: {value},", json_str(key));
        };
        field("file", json_str(file));
        field("seed", seed.to_string());
        field("chanvar_style", json_str(style.as_str()));
        field("bytes", bytes.to_string());
        field("banner_bytes", banner.to_string());
        field("body_bytes", (bytes - banner).to_string());
        field("messages", self.messages.to_string());
        field("events", self.events.to_string());
        field("responses", self.responses.to_string());
        field(
            "events_with_actionid",
            self.events_with_actionid.to_string(),
        );
        field("events_in_lists", self.events_in_lists.to_string());
        field("event_lists", self.event_lists.to_string());
        field("command_responses", self.command_responses.to_string());
        field(
            "events_outside_lists",
            (self.events - self.events_in_lists).to_string(),
        );
        field(
            "events_without_actionid",
            (self.events - self.events_with_actionid).to_string(),
        );
        field(
            "headers_per_message",
            format!(
                "{{\n  \"min\": {},\n  \"max\": {},\n  \"mean\": {}\n }}",
                self.header_min,
                self.header_max,
                py_float_repr(mean_headers)
            ),
        );
        field("mean_message_bytes", py_float_repr(mean_bytes));
        // sorted(by_event.items(), key=lambda kv: -kv[1]): a stable sort.
        let mut by_event = self.by_event.clone();
        by_event.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        let items: Vec<String> = by_event
            .iter()
            .map(|(name, count)| format!("  {}: {count}", json_str(name)))
            .collect();
        let by_event = if items.is_empty() {
            "{}".to_owned()
        } else {
            format!("{{\n{}\n }}", items.join(",\n"))
        };
        field("by_event", by_event);
        let _ = write!(
            s,
            " \"sentinel\": {}\n}}",
            json_str(
                "last message: Event: UserEvent / UserEvent: PerfEnd (only UserEvent in stream)"
            )
        );
        s
    }
}

/// Python's `round(x, ndigits)` for floats: the correctly rounded decimal
/// (ties to even on the exact binary value), read back as a float.
fn py_round(x: f64, ndigits: usize) -> f64 {
    format!("{x:.ndigits$}")
        .parse()
        .expect("a formatted float parses")
}

/// Python's `repr(float)` for the finite, moderate values written here: the
/// shortest round-trip digits, with `.0` on integral values.
fn py_float_repr(x: f64) -> String {
    let s = x.to_string();
    if s.contains(['.', 'e', 'n', 'i']) {
        s
    } else {
        s + ".0"
    }
}

/// A JSON string as Python's `json` writes it with `ensure_ascii=True`.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::{json_str, py_float_repr, py_round};

    #[test]
    fn floats_print_as_python() {
        assert_eq!(py_float_repr(py_round(18.224_999, 2)), "18.22");
        assert_eq!(py_float_repr(22.0), "22.0");
        assert_eq!(py_float_repr(py_round(2.675, 2)), "2.67");
    }

    #[test]
    fn strings_escape_as_python() {
        assert_eq!(
            json_str("a\"b\\c\u{e9}\u{1f600}"),
            r#""a\"b\\c\u00e9\ud83d\ude00""#
        );
    }
}
