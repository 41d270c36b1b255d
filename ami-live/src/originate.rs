//! Tracking an `Originate`: the channels it creates and how far the call
//! got (dialing, ringing, answered, busy, no answer, failed), from the
//! events that name them.
//!
//! Correlation is exact: [`Originate::new`] gives the action a
//! `ChannelId` and an `OtherChannelId` (when it has none), so the
//! channels come with uniqueids known before the action is sent, and the
//! `OriginateResponse` names the first of them. Sans I/O like the model:
//! feed it every event with [`Originate::apply`].
//!
//! What a real Asterisk 22 sends (recorded with `Local/…@default`, the
//! first id on the `;1` half, the other on `;2`):
//!
//! * answered (`100`, `500`): `Newchannel` ×2, `DialBegin` (no caller,
//!   `DestUniqueid` = first), `Newstate` 6 of the first, `DialEnd ANSWER`,
//!   then `OriginateResponse` `Success` / `Reason: 4`; a Dial in the
//!   dialplan (`500`) adds channels of the same `Linkedid` and bridges them
//!   right after.
//! * busy (`502`): `DialEnd BUSY`, then `OriginateResponse` `Failure` /
//!   `Reason: 5`, then the hangups (cause 17 on the `;2` half, 0 on `;1`).
//! * not answered (`501` with a `Timeout`): `Newstate` 5 and
//!   `DialState RINGING`, and when the time runs out the `;2` half hangs up
//!   with cause 19, then `OriginateResponse` `Failure` / `Reason: 3`
//!   ("ringing": it rang, nobody answered).
//! * a dialplan that ends without answering (`300`): its applications run,
//!   then `OriginateResponse` `Failure` / `Reason: 0`, and only after it
//!   `DialEnd NOANSWER`.
//! * a channel that cannot be made (`NoSuchTech/x`): no channel event at
//!   all, only `OriginateResponse` `Failure` / `Reason: 0`, whose
//!   `Uniqueid` is still the `ChannelId` given.
//!
//! An answer (the first channel `Up`, `DialEnd ANSWER`) decides at once;
//! any other outcome waits for the `OriginateResponse`, which always comes
//! for an async Originate and comes before or after the `DialEnd` and
//! `Hangup` that explain it (their order varies from run to run): those
//! give the busy / unanswered distinction and the cause the response
//! lacks. Later events still add channels.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use ami_proto::{Action, Message, Response};

use crate::headers::{Headers, int, text, uint};
use crate::values::{ChannelState, HangupCause};

/// How far an originated call got.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// Sent; no channel yet.
    Queued,
    /// The first channel exists and is being dialed.
    Dialing,
    /// The far end rings.
    Ringing,
    /// Answered (`OriginateResponse` `Success`, or the first channel Up):
    /// the call goes on in the dialplan or application given.
    Answered,
    /// The far end was busy (`Reason: 5`, `DialStatus: BUSY`, cause 17).
    Busy,
    /// It rang and nobody answered in time (`Reason: 3`, `NOANSWER`,
    /// causes 18/19).
    NoAnswer,
    /// It failed otherwise.
    Failed(Failure),
}

impl Progress {
    /// Whether this is an outcome (answered, busy, no answer, failed):
    /// nothing follows it.
    #[must_use]
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Answered | Self::Busy | Self::NoAnswer | Self::Failed(_)
        )
    }

    /// A short name: `queued`, `dialing`, `ringing`, `answered`, `busy`,
    /// `no_answer`, `failed`.
    ///
    /// ```
    /// assert_eq!(ami_live::Progress::NoAnswer.name(), "no_answer");
    /// ```
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Dialing => "dialing",
            Self::Ringing => "ringing",
            Self::Answered => "answered",
            Self::Busy => "busy",
            Self::NoAnswer => "no_answer",
            Self::Failed(_) => "failed",
        }
    }
}

/// Why an originated call failed: what Asterisk said, as far as it said it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failure {
    /// The `Reason` of `OriginateResponse`: 0 failure (no such channel, or
    /// the dialplan ended without answering), 1 hung up, 8 congestion, …
    pub reason: Option<i64>,
    /// The hangup cause of the first channel, when it hung up first.
    pub cause: Option<HangupCause>,
    /// The `DialStatus` that ended the dial (`CONGESTION`, `CHANUNAVAIL`),
    /// when one did.
    pub dial_status: Option<String>,
    /// Asterisk's message when it refused the action itself
    /// (`Response: Error`), or a word from the handle (no outcome in time,
    /// connection lost).
    pub message: String,
}

/// A process-wide seed, so that ids differ between processes and runs
/// (from std's randomly keyed hasher: no clock, no I/O).
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let mut h = RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    })
}

/// A fresh pair of channel ids (`live-<seed>-<n>`, `…-2`).
fn fresh_ids() -> (String, String) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let first = format!("live-{:016x}-{n}", seed());
    let second = format!("{first}-2");
    (first, second)
}

/// Tracks one `Originate`: see the [module docs](self).
///
/// ```
/// use ami_live::{Originate, Progress};
/// use ami_proto::{Action, Decoded, Decoder};
///
/// let action = Action::new("Originate")
///     .header("Channel", "Local/100@default")
///     .header("Application", "Wait")
///     .header("Data", "5");
/// let mut call = Originate::new(action);
/// assert_eq!(call.action().get("Async"), Some(&b"true"[..]));
/// let id = call.channel_id().to_owned();
///
/// let mut decoder = Decoder::new();
/// decoder.feed(format!(
///     "Event: Newchannel\r\nChannel: Local/100@default-00000001;1\r\nChannelState: 0\r\n\
///      Uniqueid: {id}\r\nLinkedid: {id}\r\n\r\n\
///      Event: OriginateResponse\r\nResponse: Success\r\nReason: 4\r\nUniqueid: {id}\r\n\r\n"
/// ).as_bytes());
/// while let Some(Decoded::Message(m)) = decoder.decode() {
///     call.apply(&m);
/// }
/// assert_eq!(call.poll_progress(), Some(Progress::Dialing));
/// assert_eq!(call.poll_progress(), Some(Progress::Answered));
/// assert_eq!(call.channels(), [id.as_str()]);
/// assert!(call.is_done());
/// ```
#[derive(Debug, Clone)]
pub struct Originate {
    action: Action,
    first: String,
    second: String,
    channels: Vec<String>,
    progress: Progress,
    updates: std::collections::VecDeque<Progress>,
    /// What a `DialEnd` or the first channel's `Hangup` said before the
    /// `OriginateResponse`, which decides (their order varies): the
    /// outcome they point to, and the detail the response lacks.
    provisional: Option<Progress>,
    /// Whether an event of the first / the second channel (other than the
    /// `OriginateResponse`) has come.
    seen: [bool; 2],
}

impl Originate {
    /// Tracks `action` (an `Originate`): sets `ChannelId` and
    /// `OtherChannelId` when absent (fresh ids, unique per process and
    /// run) and `Async: true` (the outcome comes as events; a synchronous
    /// Originate would hold the action until it is answered).
    #[must_use]
    pub fn new(mut action: Action) -> Self {
        let (fresh_first, fresh_second) = fresh_ids();
        let first = match action.get("ChannelId") {
            Some(v) => text(v).into_owned(),
            None => {
                action.push_header("ChannelId", &fresh_first);
                fresh_first
            }
        };
        let second = match action.get("OtherChannelId") {
            Some(v) => text(v).into_owned(),
            None => {
                let second = if first.ends_with("-2") {
                    format!("{first}-other")
                } else {
                    fresh_second
                };
                action.push_header("OtherChannelId", &second);
                second
            }
        };
        if action.get("Async").is_none() {
            action.push_header("Async", "true");
        }
        Self {
            action,
            first,
            second,
            channels: Vec::new(),
            progress: Progress::Queued,
            updates: std::collections::VecDeque::new(),
            provisional: None,
            seen: [false; 2],
        }
    }

    /// The action to send (with its ids).
    #[must_use]
    pub fn action(&self) -> &Action {
        &self.action
    }

    /// The uniqueid of the first channel (`ChannelId`): also the
    /// `Linkedid` of every channel of the call, so the model's
    /// [`State::call`](crate::State::call) finds them all.
    #[must_use]
    pub fn channel_id(&self) -> &str {
        &self.first
    }

    /// The uniqueid of the second channel (`OtherChannelId`): the `;2`
    /// half of a Local channel.
    #[must_use]
    pub fn other_channel_id(&self) -> &str {
        &self.second
    }

    /// The uniqueids of the channels it created that events have shown
    /// (the first, then the second).
    #[must_use]
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// Whether every channel in [`channels`](Self::channels) has been
    /// seen in an event of its own. Asterisk writes the `OriginateResponse`
    /// itself but a channel's events come through its message bus, so on a
    /// busy server they can trail the outcome: a session that turned events
    /// on for the call (`OriginateHack`) keeps them on until this is true,
    /// or a model fed by it would miss the channels.
    #[must_use]
    pub fn channels_seen(&self) -> bool {
        self.channels
            .iter()
            .all(|c| (*c == self.first && self.seen[0]) || (*c == self.second && self.seen[1]))
    }

    /// How far it got.
    #[must_use]
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Whether the outcome is known.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.progress.is_final()
    }

    /// The next step it took, oldest first.
    pub fn poll_progress(&mut self) -> Option<Progress> {
        self.updates.pop_front()
    }

    fn advance(&mut self, to: Progress) {
        if self.progress.is_final() || self.progress == to {
            return;
        }
        let rank = |p: &Progress| match p {
            Progress::Queued => 0,
            Progress::Dialing => 1,
            Progress::Ringing => 2,
            _ => 3,
        };
        if rank(&to) < rank(&self.progress) {
            return;
        }
        // Every step is reported: a call known answered was dialed first.
        if rank(&self.progress) == 0 && rank(&to) > 1 && !self.channels.is_empty() {
            self.updates.push_back(Progress::Dialing);
        }
        self.progress = to.clone();
        self.updates.push_back(to);
    }

    /// A channel of its own in an event.
    fn note_seen(&mut self, uid: &str) {
        if uid == self.first {
            self.seen[0] = true;
        } else if uid == self.second {
            self.seen[1] = true;
        }
        self.note_channel(uid);
    }

    fn note_channel(&mut self, uid: &str) {
        if (uid == self.first || uid == self.second) && !self.channels.iter().any(|c| c == uid) {
            if uid == self.first {
                self.channels.insert(0, uid.to_owned());
            } else {
                self.channels.push(uid.to_owned());
            }
            self.advance(Progress::Dialing);
        }
    }

    /// The action's response: an error (`Response: Error`, Asterisk refused
    /// it — no permission, no `Channel`) fails the call with its message.
    pub fn response(&mut self, response: &Response) {
        if response.is_error() {
            let message = response
                .text()
                .map(|t| t.to_str_lossy().into_owned())
                .unwrap_or_default();
            self.fail(Failure {
                message,
                ..Failure::default()
            });
        }
    }

    /// Ends it as failed (the handle gave up: no outcome in time, the
    /// connection dropped); nothing if it already has an outcome.
    pub fn fail(&mut self, failure: Failure) {
        // What the events already said is the better account.
        match self.provisional.take() {
            Some(Progress::Failed(seen)) => self.advance(Progress::Failed(Failure {
                message: failure.message,
                ..seen
            })),
            Some(other) => self.advance(other),
            None => self.advance(Progress::Failed(failure)),
        }
    }

    /// Holds an outcome an event points to until the `OriginateResponse`
    /// (or [`fail`](Self::fail)) decides; the first such event's detail
    /// is kept, later ones add what it lacked.
    fn provisional(&mut self, to: Progress) {
        self.provisional = Some(match (self.provisional.take(), to) {
            (None, to) => to,
            (Some(Progress::Failed(a)), Progress::Failed(b)) => Progress::Failed(Failure {
                reason: a.reason.or(b.reason),
                cause: a.cause.or(b.cause),
                dial_status: a.dial_status.or(b.dial_status),
                message: a.message,
            }),
            // A busy or unanswered end seen after a plain failure says more.
            (Some(Progress::Failed(_)), other) => other,
            (Some(held), _) => held,
        });
    }

    /// Applies one event (any message; those not about this call are
    /// ignored). Returns whether it was about this call.
    pub fn apply(&mut self, msg: &Message) -> bool {
        let h = Headers::read(msg);
        let Some(name) = h.event else { return false };
        let mine = |v: Option<&[u8]>| {
            v.is_some_and(|v| v == self.first.as_bytes() || v == self.second.as_bytes())
        };
        let uid_mine = mine(h.uniqueid);
        let dest_uid = msg.get("DestUniqueid").map(|v| v.as_bytes());
        let dest_mine = mine(dest_uid);
        if !uid_mine && !dest_mine && h.linkedid != Some(self.first.as_bytes()) {
            return false;
        }
        if uid_mine && name != b"OriginateResponse" {
            let uid = text(h.uniqueid.unwrap_or_default()).into_owned();
            self.note_seen(&uid);
        }
        if dest_mine {
            let uid = text(dest_uid.unwrap_or_default()).into_owned();
            self.note_seen(&uid);
        }
        let first = |v: Option<&[u8]>| v == Some(self.first.as_bytes());
        match name {
            b"OriginateResponse" if first(h.uniqueid) => {
                let ok = msg
                    .get("Response")
                    .is_some_and(|r| r.eq_ignore_ascii_case("Success"));
                let reason = int(msg.get("Reason").map(|v| v.as_bytes()));
                if ok || reason == Some(4) {
                    // It answered, so its channel exists even when its
                    // events have not come yet; a Local channel is a pair.
                    self.note_channel(&self.first.clone());
                    let local = msg.get("Channel").is_some_and(|c| {
                        c.as_bytes().starts_with(b"Local/") && c.as_bytes().ends_with(b";1")
                    });
                    if local {
                        self.note_channel(&self.second.clone());
                    }
                }
                let seen = self.provisional.take();
                let to = match (ok, reason, seen) {
                    (true, _, _) | (false, Some(4), _) => Progress::Answered,
                    (false, Some(5), _) => Progress::Busy,
                    (false, Some(3), _) => Progress::NoAnswer,
                    // A hangup (1) or a plain failure (0): what the events
                    // said tells busy and unanswered apart, and the cause.
                    (false, _, Some(p @ (Progress::Busy | Progress::NoAnswer))) => p,
                    (false, reason, Some(Progress::Failed(f))) => {
                        Progress::Failed(Failure { reason, ..f })
                    }
                    (false, reason, _) => Progress::Failed(Failure {
                        reason,
                        ..Failure::default()
                    }),
                };
                self.advance(to);
            }
            b"Newstate" | b"Newchannel" if first(h.uniqueid) => {
                match uint(h.channel_state).map(ChannelState::from_code) {
                    Some(ChannelState::Ringing | ChannelState::Ring) if name == b"Newstate" => {
                        self.advance(Progress::Ringing);
                    }
                    Some(ChannelState::Up) => self.advance(Progress::Answered),
                    Some(ChannelState::Busy) => self.provisional(Progress::Busy),
                    _ => {}
                }
            }
            b"DialState" | b"DialEnd" if first(dest_uid) => {
                let status = h.dial_status.map(|s| text(s).into_owned());
                match status.as_deref() {
                    Some("RINGING") => self.advance(Progress::Ringing),
                    Some("ANSWER") => self.advance(Progress::Answered),
                    Some("BUSY") => self.provisional(Progress::Busy),
                    // A dial that never rang and ends NOANSWER is a
                    // dialplan that ended without answering (`300`): the
                    // OriginateResponse (`Reason: 0`) tells, sometimes
                    // before this and sometimes after.
                    Some("NOANSWER") if self.progress == Progress::Ringing => {
                        self.provisional(Progress::NoAnswer);
                    }
                    Some("NOANSWER" | "CONGESTION" | "CHANUNAVAIL" | "CANCEL")
                        if name == b"DialEnd" =>
                    {
                        self.provisional(Progress::Failed(Failure {
                            dial_status: status,
                            ..Failure::default()
                        }));
                    }
                    _ => {}
                }
            }
            b"Hangup" if first(h.uniqueid) => {
                let cause = uint(h.cause)
                    .and_then(|c| u32::try_from(c).ok())
                    .map(HangupCause::from_code);
                let to = match cause {
                    Some(HangupCause::UserBusy) => Progress::Busy,
                    Some(HangupCause::NoAnswer | HangupCause::NoUserResponse) => Progress::NoAnswer,
                    _ => Progress::Failed(Failure {
                        cause,
                        ..Failure::default()
                    }),
                };
                self.provisional(to);
            }
            _ => {}
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ami_proto::{Decoded, Decoder};

    fn messages(text: &str) -> Vec<Message> {
        let mut decoder = Decoder::new();
        decoder.feed(text.replace('\n', "\r\n").as_bytes());
        let mut out = Vec::new();
        while let Some(Decoded::Message(m)) = decoder.decode() {
            out.push(m);
        }
        out
    }

    fn call() -> Originate {
        Originate::new(
            Action::new("Originate")
                .header("Channel", "Local/x@default")
                .header("ChannelId", "a-1")
                .header("OtherChannelId", "a-2"),
        )
    }

    /// Feeds `events` (the `{1}`/`{2}` ids as a Local channel's halves) and
    /// returns every step and the channels seen.
    fn run(events: &str) -> (Vec<Progress>, Vec<String>) {
        let mut c = call();
        for m in messages(events) {
            c.apply(&m);
        }
        let mut steps = Vec::new();
        while let Some(p) = c.poll_progress() {
            steps.push(p);
        }
        (steps, c.channels().to_vec())
    }

    const NEW: &str = "Event: Newchannel\nChannel: Local/x@default-1;1\nChannelState: 0\n\
Uniqueid: a-1\nLinkedid: a-1\n\nEvent: Newchannel\nChannel: Local/x@default-1;2\n\
ChannelState: 4\nUniqueid: a-2\nLinkedid: a-1\n\nEvent: DialBegin\nDestChannel: Local/x@default-1;1\n\
DestUniqueid: a-1\nDestLinkedid: a-1\n\n";

    #[test]
    fn ids_are_set_when_absent_and_kept_when_given() {
        let a = Originate::new(Action::new("Originate").header("Channel", "Local/1@x"));
        let b = Originate::new(Action::new("Originate").header("Channel", "Local/1@x"));
        assert_ne!(a.channel_id(), b.channel_id());
        assert_eq!(a.action().get("ChannelId"), Some(a.channel_id().as_bytes()));
        assert_eq!(
            a.action().get("OtherChannelId"),
            Some(a.other_channel_id().as_bytes())
        );
        let c = call();
        assert_eq!((c.channel_id(), c.other_channel_id()), ("a-1", "a-2"));
        assert_eq!(c.action().get_all_count("ChannelId"), 1);
        let sync = Originate::new(Action::new("Originate").header("Async", "false"));
        assert_eq!(sync.action().get("Async"), Some(&b"false"[..]));
    }

    trait Count {
        fn get_all_count(&self, name: &str) -> usize;
    }

    impl Count for Action {
        fn get_all_count(&self, name: &str) -> usize {
            self.headers()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
                .count()
        }
    }

    #[test]
    fn outcomes_as_a_real_asterisk_sends_them() {
        use Progress::*;
        let answered = format!(
            "{NEW}Event: Newstate\nChannelState: 6\nUniqueid: a-2\nLinkedid: a-1\nChannel: c\n\n\
Event: Newstate\nChannelState: 6\nUniqueid: a-1\nLinkedid: a-1\nChannel: c\n\n\
Event: DialEnd\nDestUniqueid: a-1\nDialStatus: ANSWER\n\n\
Event: OriginateResponse\nResponse: Success\nReason: 4\nUniqueid: a-1\n\n"
        );
        let busy = format!(
            "{NEW}Event: Newstate\nChannelState: 7\nUniqueid: a-2\nLinkedid: a-1\nChannel: c\n\n\
Event: DialEnd\nDestUniqueid: a-1\nDialStatus: BUSY\n\n\
Event: OriginateResponse\nResponse: Failure\nReason: 5\nUniqueid: a-1\n\n\
Event: Hangup\nUniqueid: a-1\nLinkedid: a-1\nCause: 0\n\n"
        );
        let no_answer = format!(
            "{NEW}Event: Newstate\nChannelState: 5\nUniqueid: a-1\nLinkedid: a-1\nChannel: c\n\n\
Event: DialState\nDestUniqueid: a-1\nDialStatus: RINGING\n\n\
Event: Hangup\nUniqueid: a-2\nLinkedid: a-1\nCause: 19\n\n\
Event: OriginateResponse\nResponse: Failure\nReason: 3\nUniqueid: a-1\n\n"
        );
        let dialplan_ends = format!(
            "{NEW}Event: UserEvent\nUniqueid: a-2\nLinkedid: a-1\n\n\
Event: Hangup\nUniqueid: a-2\nLinkedid: a-1\nCause: 16\n\n\
Event: OriginateResponse\nResponse: Failure\nReason: 0\nUniqueid: a-1\n\n\
Event: DialEnd\nDestUniqueid: a-1\nDialStatus: NOANSWER\n\n"
        );
        let dialplan_ends_dial_first = format!(
            "{NEW}Event: DialEnd\nDestUniqueid: a-1\nDialStatus: NOANSWER\n\n\
Event: OriginateResponse\nResponse: Failure\nReason: 0\nUniqueid: a-1\n\n"
        );
        let no_channel = "Event: OriginateResponse\nResponse: Failure\nReason: 0\n\
Channel: NoSuchTech/x\nUniqueid: a-1\n\n";
        let congestion = format!(
            "{NEW}Event: DialEnd\nDestUniqueid: a-1\nDialStatus: CONGESTION\n\n\
Event: OriginateResponse\nResponse: Failure\nReason: 8\nUniqueid: a-1\n\n"
        );
        let hangup_first = format!(
            "{NEW}Event: Hangup\nUniqueid: a-1\nLinkedid: a-1\nCause: 17\n\n\
Event: OriginateResponse\nResponse: Failure\nReason: 1\nUniqueid: a-1\n\n"
        );
        let failed = |reason, dial_status: Option<&str>| {
            Failed(Failure {
                reason,
                dial_status: dial_status.map(str::to_owned),
                ..Failure::default()
            })
        };
        let both = vec!["a-1".to_owned(), "a-2".to_owned()];
        let table: Vec<(&str, &str, Vec<Progress>, Vec<String>)> = vec![
            ("answered", &answered, vec![Dialing, Answered], both.clone()),
            ("busy", &busy, vec![Dialing, Busy], both.clone()),
            (
                "no answer",
                &no_answer,
                vec![Dialing, Ringing, NoAnswer],
                both.clone(),
            ),
            (
                "dialplan ends",
                &dialplan_ends,
                vec![Dialing, failed(Some(0), None)],
                both.clone(),
            ),
            (
                "dialplan ends, DialEnd first",
                &dialplan_ends_dial_first,
                vec![Dialing, failed(Some(0), Some("NOANSWER"))],
                both.clone(),
            ),
            (
                "no channel",
                no_channel,
                vec![failed(Some(0), None)],
                vec![],
            ),
            (
                "congestion",
                &congestion,
                vec![Dialing, failed(Some(8), Some("CONGESTION"))],
                both.clone(),
            ),
            (
                "hung up busy",
                &hangup_first,
                vec![Dialing, Busy],
                both.clone(),
            ),
        ];
        for (name, events, steps, channels) in table {
            assert_eq!(run(events), (steps, channels), "{name}");
        }
    }

    #[test]
    fn an_end_seen_before_the_response_waits_for_it_and_explains_a_give_up() {
        let mut c = call();
        for m in messages(&format!(
            "{NEW}Event: Hangup\nUniqueid: a-1\nLinkedid: a-1\nCause: 17\n\n"
        )) {
            c.apply(&m);
        }
        assert!(!c.is_done(), "the OriginateResponse decides");
        c.fail(Failure {
            message: "no OriginateResponse in time".into(),
            ..Failure::default()
        });
        assert_eq!(c.progress(), &Progress::Busy);
    }

    #[test]
    fn an_answer_before_its_channels_events_names_them_and_waits_for_the_events() {
        // Recorded from Asterisk 22: the OriginateResponse, written by
        // manager.c itself, before the channels' events from the bus.
        let mut c = call();
        for m in messages(
            "Event: OriginateResponse\nResponse: Success\nChannel: Local/x@default-00000012;1\n\
Reason: 4\nUniqueid: a-1\n\n",
        ) {
            c.apply(&m);
        }
        assert_eq!(c.progress(), &Progress::Answered);
        assert_eq!(c.poll_progress(), Some(Progress::Dialing));
        assert_eq!(c.poll_progress(), Some(Progress::Answered));
        assert_eq!(c.channels(), ["a-1", "a-2"]);
        assert!(!c.channels_seen());
        let news = messages(NEW);
        c.apply(&news[0]);
        assert!(!c.channels_seen(), "the ;2 half is still to come");
        c.apply(&news[1]);
        assert!(c.channels_seen());
        assert_eq!(c.poll_progress(), None);
        // A channel that is not Local is alone.
        let mut single = call();
        let m = messages(
            "Event: OriginateResponse\nResponse: Success\nChannel: PJSIP/alice-00000001\n\
Reason: 4\nUniqueid: a-1\n\n",
        );
        single.apply(&m[0]);
        assert_eq!(single.channels(), ["a-1"]);
        // A failure names none: the channel may never have existed.
        let (_, channels) = run(
            "Event: OriginateResponse\nResponse: Failure\nChannel: Local/x@default-1;1\n\
Reason: 0\nUniqueid: a-1\n\n",
        );
        assert!(channels.is_empty());
    }

    #[test]
    fn events_of_other_calls_are_ignored_and_later_ones_change_nothing() {
        let mut c = call();
        let others = messages(
            "Event: Newchannel\nUniqueid: b-1\nLinkedid: b-1\nChannel: x\n\n\
Event: OriginateResponse\nResponse: Success\nReason: 4\nUniqueid: b-1\n\n",
        );
        for m in &others {
            assert!(!c.apply(m));
        }
        assert_eq!(c.progress(), &Progress::Queued);
        for m in messages(&format!(
            "{NEW}Event: OriginateResponse\nResponse: Failure\nReason: 5\nUniqueid: a-1\n\n\
Event: Newstate\nChannelState: 6\nUniqueid: a-1\nLinkedid: a-1\nChannel: c\n\n"
        )) {
            assert!(c.apply(&m));
        }
        assert_eq!(c.progress(), &Progress::Busy);
        // A channel of the same call made by the dialplan is about it, but
        // not one it created.
        let dialed = messages("Event: Newchannel\nUniqueid: 9.9\nLinkedid: a-1\nChannel: y\n\n");
        assert!(c.apply(&dialed[0]));
        assert_eq!(c.channels(), ["a-1", "a-2"]);
    }

    #[test]
    fn a_refused_action_fails_with_asterisks_message() {
        let mut c = call();
        let head = messages("Response: Error\nMessage: Permission denied\n\n").remove(0);
        c.response(&Response::from_parts(head, Vec::new(), None));
        assert_eq!(
            c.poll_progress(),
            Some(Progress::Failed(Failure {
                message: "Permission denied".into(),
                ..Failure::default()
            }))
        );
        let ok =
            messages("Response: Success\nMessage: Originate successfully queued\n\n").remove(0);
        let mut d = call();
        d.response(&Response::from_parts(ok, Vec::new(), None));
        assert_eq!(d.poll_progress(), None);
    }
}
