//! The server's PBX: a [`Sim`] whose fake clock follows the wall clock,
//! the CLI outputs drawn from it, the queue rules, and the flood's events.
//! The busy PBX, the list actions and Originate / Hangup / Redirect all go
//! through the one `Sim`, so a client sees one consistent PBX.

use std::fmt::Write as _;
use std::time::Instant;

use ami_proto::{Message, ServerMessage};

use crate::sim::{Chan, Sim, cause_text, snapshot, state_desc};
use crate::wire::Rng;

/// The queue rules of the recorded server (capture 14).
pub(crate) const QUEUE_RULES: &[(&str, &[&str])] = &[
    ("myrule", &["30,+3,+0", "60,10,5"]),
    ("other", &["20,-1,0"]),
];

/// The simulated PBX on the wall clock.
#[derive(Debug)]
pub(crate) struct Pbx {
    pub(crate) sim: Sim,
    started: Instant,
}

impl Pbx {
    pub(crate) fn new() -> Self {
        Self {
            sim: Sim::with_epoch(
                Rng::new().next_u64(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1_700_000_000, |d| d.as_secs()),
            ),
            started: Instant::now(),
        }
    }

    /// Seconds since the PBX started (FullyBooted's `Uptime`).
    pub(crate) fn uptime(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Brings the simulation's clock up to the wall clock; returns the
    /// events that caused (parked calls timing out).
    pub(crate) fn sync_clock(&mut self) -> Vec<u8> {
        let behind = self.uptime().saturating_sub(self.sim.now());
        if behind > 0 {
            self.sim.advance(behind);
        }
        self.sim.take_events()
    }

    /// One step of the busy PBX; returns the events.
    pub(crate) fn busy_step(&mut self) -> Vec<u8> {
        let mut events = self.sync_clock();
        events.extend(self.sim.step());
        events
    }

    /// Answers an action of the simulation: (the answer, the events it
    /// caused, to broadcast after).
    pub(crate) fn action(&mut self, action: &Message) -> (Vec<u8>, Vec<u8>) {
        let mut events = self.sync_clock();
        let answer = self.sim.action(action);
        events.extend(self.sim.take_events());
        (answer, events)
    }

    /// The channels' names, in creation order.
    pub(crate) fn channel_names(&self) -> Vec<String> {
        self.sim
            .channels_in_order()
            .into_iter()
            .map(|c| c.name.clone())
            .collect()
    }

    pub(crate) fn channel_count(&self) -> usize {
        self.sim.channels.len()
    }

    pub(crate) fn calls_processed(&self) -> u64 {
        self.sim.calls_processed
    }

    // ---- CLI output -------------------------------------------------------

    /// `core show channels`, in the widths of the given personality.
    pub(crate) fn cli_channels(&self, legacy: bool) -> String {
        let mut out = String::new();
        let row = |out: &mut String, a: &str, b: &str, c: &str, d: &str| {
            let _ = if legacy {
                writeln!(out, "{a:<20.20} {b:<20.20} {c:<7.7} {d:<30.30}")
            } else {
                writeln!(out, "{a:<64.64} {b:<32.32} {c:<7.7} {d:<30.30}")
            };
        };
        row(
            &mut out,
            "Channel",
            "Location",
            "State",
            "Application(Data)",
        );
        let channels = self.sim.channels_in_order();
        for c in &channels {
            row(
                &mut out,
                &c.name,
                &format!("{}@{}:{}", c.exten, c.context, c.priority),
                state_desc(c.state),
                &format!("{}({})", c.app, c.data),
            );
        }
        let n = channels.len();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let _ = writeln!(out, "{n} active channel{}", plural(n));
        let _ = writeln!(out, "{n} active call{}", plural(n));
        let processed = self.sim.calls_processed;
        let _ = writeln!(
            out,
            "{processed} call{} processed",
            if processed == 1 { "" } else { "s" }
        );
        out
    }

    /// `core show channels concise`.
    pub(crate) fn cli_channels_concise(&self) -> String {
        let mut out = String::new();
        for c in self.sim.channels_in_order() {
            let _ = writeln!(
                out,
                "{}!{}!{}!{}!{}!{}!{}!{}!!!3!{}!{}!{}",
                c.name,
                c.context,
                c.exten,
                c.priority,
                state_desc(c.state),
                c.app,
                c.data,
                c.caller_num,
                self.sim.now().saturating_sub(c.created),
                c.bridge.as_deref().unwrap_or("(None)"),
                c.uniqueid
            );
        }
        out
    }

    /// `queue show`.
    pub(crate) fn cli_queue_show(&self) -> String {
        let mut out = String::new();
        for (name, q) in &self.sim.queues {
            let _ = writeln!(
                out,
                "{name} has {} calls (max unlimited) in '{}' strategy (0s holdtime, 0s talktime), W:0, C:{}, A:{}, SL:0.0%, SL2:0.0% within 0s",
                q.callers.len(),
                q.strategy,
                q.completed,
                q.abandoned
            );
            out.push_str("   Members: \n");
            for m in &q.members {
                let status = match m.status {
                    1 => "Not in use",
                    2 => "In use",
                    3 => "Busy",
                    5 => "Unavailable",
                    6 => "Ringing",
                    8 => "On Hold",
                    _ => "Unknown",
                };
                let _ = writeln!(
                    out,
                    "      {} ({}) with penalty {}{} ({}) has taken {} calls",
                    m.name,
                    m.interface,
                    m.penalty,
                    if m.paused { " (paused)" } else { "" },
                    status,
                    m.calls_taken
                );
            }
            if q.callers.is_empty() {
                out.push_str("   No Callers\n");
            } else {
                out.push_str("   Callers: \n");
                for (i, w) in q.callers.iter().enumerate() {
                    let channel = self
                        .sim
                        .channels
                        .get(&w.uniqueid)
                        .map_or("", |c| c.name.as_str());
                    let _ = writeln!(
                        out,
                        "      {}. {channel} (wait: {}s, prio: 0)",
                        i + 1,
                        self.sim.now().saturating_sub(w.joined)
                    );
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Channels for the flood fault: `count` Newchannel / Newstate / Hangup
/// triples with distinct names and ids.
pub(crate) fn flood_events(count: usize) -> Vec<ServerMessage> {
    const NAMES: &[&str] = &[
        "Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana",
    ];
    let mut events = Vec::with_capacity(count * 3);
    for i in 0..count {
        let num = format!("{}", 100 + i % 50);
        let uniqueid = format!("1700000000.{i}");
        let mut channel = Chan {
            seq: i as u64,
            name: format!("PJSIP/{num}-{i:08x}"),
            linkedid: uniqueid.clone(),
            uniqueid,
            state: 4,
            caller_num: num,
            caller_name: NAMES[i % NAMES.len()].into(),
            connected_num: "<unknown>".into(),
            connected_name: "<unknown>".into(),
            context: "from-internal".into(),
            exten: "200".into(),
            priority: 1,
            app: String::new(),
            data: String::new(),
            bridge: None,
            hold: false,
            created: 0,
        };
        let event = |name: &str, c: &Chan| {
            snapshot(
                ServerMessage::event(name).header("Privilege", "call,all"),
                "",
                c,
            )
        };
        events.push(event("Newchannel", &channel));
        channel.state = 6;
        events.push(event("Newstate", &channel));
        events.push(
            event("Hangup", &channel)
                .header("Cause", "16")
                .header("Cause-txt", cause_text(16)),
        );
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_pbx_keeps_going() {
        let mut pbx = Pbx::new();
        let mut names = std::collections::HashSet::new();
        for _ in 0..500 {
            let bytes = pbx.busy_step();
            let text = String::from_utf8(bytes).unwrap();
            for block in text.split("\r\n\r\n").filter(|b| !b.is_empty()) {
                names.insert(block.lines().next().unwrap().to_owned());
            }
            assert!(pbx.channel_count() <= 40);
        }
        for name in ["Newchannel", "Newstate", "Hangup", "QueueCallerJoin"] {
            assert!(
                names.contains(&format!("Event: {name}")),
                "{name}: {names:?}"
            );
        }
    }

    #[test]
    fn channel_table_widths() {
        let mut pbx = Pbx::new();
        let _ = pbx.busy_step();
        let text = pbx.cli_channels(false);
        let first = text.lines().next().unwrap();
        assert_eq!(first.len(), 136);
        assert!(first.starts_with("Channel "));
        assert_eq!(pbx.cli_channels(true).lines().next().unwrap().len(), 80);
    }
}
