//! `ami live`: the live model of the PBX (ami-live), synced over the
//! session and printed as a snapshot, then as one line per change.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ami_client::{ClientError, Incoming};
use ami_live::{
    Bridge, Change, Channel, Conference, Key, Live, ParkedCall, Part, PartStatus, Participant,
    Queue, QueueCaller, QueueMember, Removed, State, SyncRequest, Unparked,
};
use serde_json::{Value, json};

use crate::session::Session;

/// How long to wait for an event before looking at Ctrl-C again.
const POLL: Duration = Duration::from_millis(200);

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Sorts uniqueids as numbers where they are (`1700000000.10` after
/// `1700000000.9`).
fn uid_order(uid: &str) -> (u64, u64, String) {
    let tail = uid.rsplit('-').next().unwrap_or(uid);
    let mut it = tail.split('.');
    let secs = it.next().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    let seq = it.next().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    (secs, seq, uid.to_owned())
}

fn channel_json(c: &Channel) -> Value {
    let dials: Vec<Value> = c
        .dials
        .iter()
        .map(|d| {
            json!({
                "role": match d.role { ami_live::DialRole::Caller => "caller", ami_live::DialRole::Callee => "callee" },
                "peer": d.peer,
                "dial_string": d.dial_string,
                "status": d.status,
                "ended": d.ended,
            })
        })
        .collect();
    let mut v = json!({
        "name": c.name,
        "uniqueid": c.uniqueid,
        "linkedid": c.linkedid,
        "state": c.state.as_str(),
        "state_code": c.state.code(),
        "bridge": c.bridge,
        "caller_id": {"num": c.caller_id.num, "name": c.caller_id.name},
        "connected_line": {"num": c.connected_line.num, "name": c.connected_line.name},
        "account_code": c.account_code,
        "language": c.language,
        "context": c.context,
        "exten": c.exten,
        "priority": c.priority,
        "application": c.application,
        "application_data": c.application_data,
        "created": c.created,
        "on_hold": c.on_hold,
        "dials": dials,
    });
    if let Some(h) = &c.hangup {
        v["hangup"] = json!({"cause": h.cause.code(), "name": h.cause.name(), "text": h.text});
    }
    v
}

fn bridge_json(b: &Bridge) -> Value {
    json!({
        "id": b.id,
        "type": b.bridge_type,
        "technology": b.technology,
        "creator": b.creator,
        "name": b.name,
        "channels": b.channels,
    })
}

fn member_json(m: &QueueMember) -> Value {
    json!({
        "interface": m.interface,
        "name": m.name,
        "state_interface": m.state_interface,
        "membership": m.membership,
        "status": m.status.as_str(),
        "paused": m.paused,
        "paused_reason": m.paused_reason,
        "penalty": m.penalty,
        "calls_taken": m.calls_taken,
        "last_call": m.last_call,
        "in_call": m.in_call,
        "ring_in_use": m.ring_in_use,
    })
}

fn caller_json(c: &QueueCaller) -> Value {
    json!({
        "uniqueid": c.uniqueid,
        "channel": c.channel,
        "position": c.position,
        "since": c.since,
    })
}

/// A queue's own fields; with `people`, its members and callers too.
fn queue_json_with(q: &Queue, people: bool) -> Value {
    let mut v = json!({
        "name": q.name,
        "strategy": q.strategy,
        "max": q.max,
        "calls": q.calls,
        "holdtime": q.holdtime,
        "talk_time": q.talk_time,
        "completed": q.completed,
        "abandoned": q.abandoned,
        "service_level": q.service_level,
        "weight": q.weight,
    });
    if people {
        v["members"] = q.members.values().map(member_json).collect();
        v["callers"] = q.callers.iter().map(caller_json).collect();
    }
    v
}

fn queue_json(q: &Queue) -> Value {
    queue_json_with(q, true)
}

fn parked_json(p: &ParkedCall) -> Value {
    json!({
        "uniqueid": p.uniqueid,
        "channel": p.channel,
        "lot": p.lot,
        "space": p.space,
        "parker_dial_string": p.parker_dial_string,
        "timeout": p.timeout,
        "since": p.since,
    })
}

fn participant_json(p: &Participant) -> Value {
    json!({
        "uniqueid": p.uniqueid,
        "channel": p.channel,
        "admin": p.admin,
        "muted": p.muted,
        "marked": p.marked,
        "talking": p.talking,
        "waiting": p.waiting,
    })
}

/// A conference's own fields and its participants' uniqueids; with
/// `details`, each participant's fields too.
fn conference_json_with(c: &Conference, details: bool) -> Value {
    let mut v = json!({
        "name": c.name,
        "locked": c.locked,
        "bridge": c.bridge,
        "participants": c.participants.keys().collect::<Vec<_>>(),
    });
    if details {
        v["participant_details"] = c.participants.values().map(participant_json).collect();
    }
    v
}

fn conference_json(c: &Conference) -> Value {
    conference_json_with(c, true)
}

/// The whole model as one JSON object.
pub(crate) fn state_json(s: &State, missing: &[&str]) -> Value {
    let mut channels: Vec<&Channel> = s.channels().collect();
    channels.sort_by_key(|c| uid_order(&c.uniqueid));
    let mut calls: Vec<_> = s.calls().collect();
    calls.sort_by_key(|c| uid_order(&c.linkedid));
    let mut bridges: Vec<&Bridge> = s.bridges().collect();
    bridges.sort_by(|a, b| a.id.cmp(&b.id));
    let mut parked: Vec<&ParkedCall> = s.parked_calls().collect();
    parked.sort_by(|a, b| (&a.lot, &a.space).cmp(&(&b.lot, &b.space)));
    let mut devices: Vec<_> = s.devices().collect();
    devices.sort_by(|a, b| a.name.cmp(&b.name));
    let sync: serde_json::Map<String, Value> = Part::ALL
        .iter()
        .map(|&p| (p.name().to_owned(), status_json(s.status(p))))
        .collect();
    json!({
        "channels": channels.iter().map(|c| channel_json(c)).collect::<Vec<_>>(),
        "calls": calls.iter().map(|c| json!({
            "linkedid": c.linkedid,
            "channels": c.channels,
            "bridges": s.bridges_of_call(&c.linkedid).iter().map(|b| b.id.clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "bridges": bridges.iter().map(|b| bridge_json(b)).collect::<Vec<_>>(),
        "queues": s.queues().map(queue_json).collect::<Vec<_>>(),
        "parked": parked.iter().map(|p| parked_json(p)).collect::<Vec<_>>(),
        "conferences": s.conferences().map(conference_json).collect::<Vec<_>>(),
        "devices": devices.iter().map(|d| json!({"device": d.name, "state": d.state.as_str()})).collect::<Vec<_>>(),
        "hints": s.hints().map(|h| json!({
            "exten": h.exten, "context": h.context, "hint": h.hint,
            "status": h.status, "status_text": h.status_text,
        })).collect::<Vec<_>>(),
        "agents": s.agents().map(|a| json!({
            "id": a.id, "name": a.name, "status": a.status, "channel": a.channel,
        })).collect::<Vec<_>>(),
        "peers": s.peers().map(|p| json!({
            "name": p.name, "type": p.channel_type, "status": p.status, "address": p.address,
        })).collect::<Vec<_>>(),
        "sync": sync,
        "missing_events": missing,
    })
}

fn status_json(s: &PartStatus) -> Value {
    match s {
        PartStatus::Unsynced => json!("unsynced"),
        PartStatus::Syncing => json!("syncing"),
        PartStatus::Synced => json!("synced"),
        PartStatus::Stale => json!("stale"),
        PartStatus::Unavailable(why) => json!({"unavailable": why}),
    }
}

fn key_json(key: &Key) -> Value {
    match key {
        Key::Channel(u) => json!({"uniqueid": u}),
        Key::Call(l) => json!({"linkedid": l}),
        Key::Bridge(id) => json!({"id": id}),
        Key::Queue(q) => json!({"queue": q}),
        Key::Member(q, i) => json!({"queue": q, "interface": i}),
        Key::Caller(q, u) => json!({"queue": q, "uniqueid": u}),
        Key::Parked(u) => json!({"uniqueid": u}),
        Key::Conference(c) => json!({"conference": c}),
        Key::Participant(c, u) => json!({"conference": c, "uniqueid": u}),
        Key::Device(d) => json!({"device": d}),
        Key::Hint(e, c) => json!({"exten": e, "context": c}),
        Key::Agent(a) => json!({"agent": a}),
        Key::Peer(p) => json!({"peer": p}),
    }
}

/// The object a key names, as the model has it now.
fn object_json(s: &State, key: &Key) -> Option<Value> {
    Some(match key {
        Key::Channel(u) => channel_json(s.channel(u)?),
        Key::Call(l) => {
            let c = s.call(l)?;
            json!({"linkedid": c.linkedid, "channels": c.channels})
        }
        Key::Bridge(id) => bridge_json(s.bridge(id)?),
        // The members and callers have changes of their own.
        Key::Queue(q) => queue_json_with(s.queue(q)?, false),
        Key::Member(q, i) => member_json(s.queue(q)?.members.get(i)?),
        Key::Caller(q, u) => caller_json(s.queue(q)?.callers.iter().find(|c| c.uniqueid == *u)?),
        Key::Parked(u) => parked_json(s.parked_call(u)?),
        Key::Conference(c) => conference_json_with(s.conference(c)?, false),
        Key::Participant(c, u) => participant_json(s.conference(c)?.participants.get(u)?),
        Key::Device(d) => {
            let d = s.device(d)?;
            json!({"device": d.name, "state": d.state.as_str()})
        }
        Key::Hint(e, c) => {
            let h = s.hint(e, c)?;
            json!({"exten": h.exten, "context": h.context, "hint": h.hint, "status": h.status, "status_text": h.status_text})
        }
        _ => return None,
    })
}

fn removed_json(r: &Removed) -> Value {
    match r {
        Removed::Channel(c) => channel_json(c),
        Removed::Call(c) => json!({"linkedid": c.linkedid, "channels": c.channels}),
        Removed::Bridge(b) => bridge_json(b),
        Removed::Queue(q) => queue_json(q),
        Removed::Member(q, m) => json!({"queue": q, "interface": m.interface, "name": m.name}),
        Removed::Caller(q, c) => json!({
            "queue": q, "uniqueid": c.uniqueid, "channel": c.channel,
            "position": c.position, "abandoned": c.abandoned,
        }),
        Removed::Parked(p, why) => {
            let mut v = parked_json(p);
            v["reason"] = match why {
                Unparked::TimedOut => json!("timeout"),
                Unparked::GaveUp => json!("gave_up"),
                Unparked::Retrieved(by) => json!({"retrieved_by": by}),
                Unparked::Vanished => json!("vanished"),
            };
            v
        }
        Removed::Conference(c) => conference_json(c),
        Removed::Participant(c, p) => {
            json!({"conference": c, "uniqueid": p.uniqueid, "channel": p.channel})
        }
        Removed::Device(d) => json!({"device": d.name, "state": d.state.as_str()}),
        Removed::Hint(h) => json!({"exten": h.exten, "context": h.context}),
        Removed::Agent(a) => json!({"id": a.id}),
        Removed::Peer(p) => json!({"name": p.name}),
        _ => json!(null),
    }
}

/// One change as a JSON object: `change`, `key`, and the object (as it is
/// now, or as it was when it left) with the changed `fields`.
pub(crate) fn change_json(s: &State, change: &Change) -> Value {
    let mut v = json!({"change": change.name()});
    match change {
        Change::Added(key) => {
            v["key"] = key_json(key);
            v["object"] = object_json(s, key).unwrap_or(Value::Null);
        }
        Change::Changed(key, fields) => {
            v["key"] = key_json(key);
            v["fields"] = json!(fields.iter().map(|f| f.name()).collect::<Vec<_>>());
            v["object"] = object_json(s, key).unwrap_or(Value::Null);
        }
        Change::Removed(r) => {
            v["key"] = key_json(&r.key());
            v["object"] = removed_json(r);
        }
        Change::Synced(part) => v["part"] = json!(part.name()),
        Change::Unavailable(part, why) => {
            v["part"] = json!(part.name());
            v["reason"] = json!(why);
        }
        _ => {}
    }
    v
}

/// Sends the model's requests, one at a time, and hands it each answer.
/// Before an answer is applied, the events that came before it are: the
/// model then sees the stream in wire order.
pub(crate) fn sync(
    session: &mut dyn Session,
    live: &mut Live,
    pending: &mut VecDeque<Incoming>,
) -> Result<(), ClientError> {
    let mut queue: VecDeque<SyncRequest> = live.start_sync().into();
    while let Some(request) = queue.pop_front() {
        let answer = session.action(request.action.clone());
        // The events received while waiting for the answer.
        while let Some(item) = session.next_event(Duration::ZERO)? {
            pending.push_back(item);
        }
        for item in pending.drain(..) {
            feed(live, item);
        }
        match answer {
            Ok(response) => {
                live.set_now(unix_now());
                queue.extend(live.sync_response(&request, &response));
            }
            Err(ClientError::Rejected(response)) => {
                queue.extend(live.sync_response(&request, &response));
            }
            Err(e @ (ClientError::Closed(_) | ClientError::Closing)) => {
                live.sync_failed(&request);
                return Err(e);
            }
            Err(_) => live.sync_failed(&request),
        }
    }
    Ok(())
}

pub(crate) fn feed(live: &mut Live, item: Incoming) {
    match item {
        Incoming::Event(e) => live.apply(&e),
        Incoming::Lost(n) => {
            eprintln!("ami: lost {n} events: the model may be off until the next sync")
        }
        Incoming::Disconnected(_) => live.disconnected(),
        _ => {}
    }
}

/// What `ami live` prints.
pub(crate) struct LiveJob {
    pub(crate) once: bool,
    pub(crate) json: bool,
    /// The `Events:` the login asked for (`on`, `off`, a mask).
    pub(crate) events: String,
}

/// Runs `ami live`.
pub(crate) fn run(session: &mut Box<dyn Session>, job: &LiveJob) -> Result<(), crate::Failure> {
    let missing = Live::missing_classes(&job.events);
    if !missing.is_empty() {
        eprintln!(
            "ami: the login's events ({}) leave out {}: the model shows the sync, but will not follow {}",
            job.events,
            missing.join(", "),
            if job.once {
                "(one snapshot only, so that is fine)"
            } else {
                "the PBX after it"
            }
        );
    }
    let mut live = Live::new();
    live.set_now(unix_now());
    let mut pending = VecDeque::new();
    sync(&mut **session, &mut live, &mut pending)?;
    let mut out = io::stdout().lock();
    if job.json {
        writeln!(out, "{}", state_json(live.state(), &missing))?;
    } else {
        write_text(&mut out, live.state())?;
    }
    out.flush()?;
    if job.once {
        return Ok(());
    }
    // The snapshot holds what the changes so far did.
    while live.poll_change().is_some() {}

    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .map_err(|e| crate::Failure::Error(format!("cannot handle Ctrl-C: {e}")))?;
    while !stop.load(Ordering::SeqCst) {
        let item = match session.next_event(POLL) {
            Ok(Some(item)) => item,
            Ok(None) => continue,
            Err(ClientError::Closed(reason)) => return Err(ClientError::Closed(reason).into()),
            Err(e) => return Err(e.into()),
        };
        live.set_now(unix_now());
        let resync = matches!(item, Incoming::Reconnected);
        if let Incoming::Disconnected(reason) = &item {
            eprintln!(
                "ami: connection lost ({}); the model is stale until it is back",
                reason
            );
        }
        feed(&mut live, item);
        if resync {
            eprintln!("ami: reconnected; syncing again");
            sync(&mut **session, &mut live, &mut pending)?;
        }
        while let Some(change) = live.poll_change() {
            if job.json {
                writeln!(out, "{}", change_json(live.state(), &change))?;
            } else {
                writeln!(out, "{}", change_text(live.state(), &change))?;
            }
        }
        out.flush()?;
    }
    Ok(())
}

fn change_text(s: &State, change: &Change) -> String {
    match change {
        Change::Added(Key::Channel(u)) | Change::Changed(Key::Channel(u), _) => {
            let name = change.name();
            match s.channel(u) {
                Some(c) => format!("{name} {} {} {}", c.name, c.state, c.application),
                None => format!("{name} {u}"),
            }
        }
        Change::Changed(key, fields) => format!("{} {key} [{fields}]", change.name()),
        Change::Removed(r) => match &**r {
            Removed::Channel(c) => match &c.hangup {
                Some(h) => format!(
                    "channel_removed {} cause {} ({})",
                    c.name,
                    h.cause.code(),
                    h.text
                ),
                None => format!("channel_removed {} (gone)", c.name),
            },
            other => format!("{} {}", change.name(), other.key()),
        },
        Change::Unavailable(part, why) => format!("unavailable {part}: {why}"),
        other => match other.key() {
            Some(key) => format!("{} {key}", other.name()),
            None => other.name(),
        },
    }
}

/// The snapshot as text, for people.
fn write_text(out: &mut impl Write, s: &State) -> io::Result<()> {
    let mut channels: Vec<&Channel> = s.channels().collect();
    channels.sort_by_key(|c| uid_order(&c.uniqueid));
    writeln!(out, "channels: {}", channels.len())?;
    for c in channels {
        writeln!(
            out,
            "  {:<36} {:<8} {:<20} {}({}) bridge={}",
            c.name,
            c.state.as_str(),
            format!("{} <{}>", c.caller_id.name, c.caller_id.num),
            c.application,
            c.application_data,
            c.bridge.as_deref().unwrap_or("-"),
        )?;
    }
    writeln!(out, "bridges: {}", s.bridges().count())?;
    for b in s.bridges() {
        writeln!(
            out,
            "  {} {} {} ({} channels)",
            b.id,
            b.bridge_type,
            b.technology,
            b.channels.len()
        )?;
    }
    for q in s.queues() {
        writeln!(
            out,
            "queue {}: {} waiting, {} completed, {} abandoned",
            q.name,
            q.callers.len(),
            q.completed,
            q.abandoned
        )?;
        for m in q.members.values() {
            writeln!(
                out,
                "  member {} ({}) {}{}{} taken {}",
                m.name,
                m.interface,
                m.status,
                if m.paused { " paused" } else { "" },
                if m.in_call { " in call" } else { "" },
                m.calls_taken
            )?;
        }
        for c in &q.callers {
            writeln!(out, "  caller {}. {}", c.position, c.channel)?;
        }
    }
    for p in s.parked_calls() {
        writeln!(out, "parked {} at {}@{}", p.channel, p.space, p.lot)?;
    }
    for c in s.conferences() {
        writeln!(
            out,
            "conference {}: {} participants",
            c.name,
            c.participants.len()
        )?;
    }
    for h in s.hints() {
        writeln!(
            out,
            "hint {}@{} {} ({})",
            h.exten, h.context, h.status_text, h.hint
        )?;
    }
    for part in Part::ALL {
        if let PartStatus::Unavailable(why) = s.status(part) {
            writeln!(out, "{part}: unavailable ({why})")?;
        }
    }
    Ok(())
}
